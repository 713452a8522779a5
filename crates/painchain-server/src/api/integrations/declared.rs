//! Config-as-code integrations (filled in later).
