//! Hand-written deciders for two shipped policies: the speed a policy could reach if it were
//! written directly in Rust, which the benchmarks measure triage against.

pub mod after_sales;
pub mod calendar;
pub mod dongguan;
