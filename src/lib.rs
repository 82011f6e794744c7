pub use flowood_flows as flows;
