//! Placeholder until the inspection benchmark lands.
fn main() {}
