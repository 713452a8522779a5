//! Placeholder; filled in with config-as-code.
