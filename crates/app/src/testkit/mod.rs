//! The port contract suite (being written).
