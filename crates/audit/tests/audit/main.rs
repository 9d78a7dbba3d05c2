//! Integration tests of the audit log on real files in a temporary directory under the cargo
//! target dir: the chain and its tamper detection, concurrency and group commit, reading, limits,
//! and durability across a SIGKILL.
#![cfg(test)]

mod api;
mod common;
mod concurrency;
mod crash;
mod tamper;
