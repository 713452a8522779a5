import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// The built app is embedded in the Rust binary (crates/painchain-ui) and
// served at `/`; in dev, API calls are proxied to a local `painchain serve`.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': process.env.PAINCHAIN_URL ?? 'http://127.0.0.1:8000',
      '/health': process.env.PAINCHAIN_URL ?? 'http://127.0.0.1:8000',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    css: false,
  },
})
