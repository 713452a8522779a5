//! Local git connector (in progress).
