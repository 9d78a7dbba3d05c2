//! Secret scanning throughput.
fn main() {}
