import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

// Content-Security-Policy for the built app, as a <meta> tag in index.html
// (the server sends no CSP header for the UI). Only our own scripts run — no
// inline scripts, no eval — so an injected <script> or a `javascript:` link
// in event data cannot execute. Images may also come from data: URLs
// (registered connector logos) and https (avatars in event payloads). Added
// at build time only: Vite's dev server needs an inline script for React
// refresh. `frame-ancestors` cannot be set from a meta tag.
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ')

function csp(): Plugin {
  return {
    name: 'painchain-csp',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />`),
  }
}

// The built app is embedded in the Rust binary (crates/painchain-ui) and
// served at `/`; in dev, API calls are proxied to a local `painchain serve`.
export default defineConfig({
  base: '/',
  plugins: [react(), csp()],
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
