//! Collatz trajectory lengths in Rust, as a WASI command ("abi": "wasi", "io": "json"; core/abi/README.md).
//! stdin: one line, a start n ≥ 1. Outputs, one JSON value per line:
//!   stdout (port 0, "out"):   [n, steps]               steps until the trajectory reaches 1
//!   fd 3   (port 1, "keyed"): ["longest", [n, steps]]  for the `longest` aggregate (examples/collatz)
//! A bad input fails the job: the panic message goes to stderr, then the program aborts (a trap).
//!
//! Build: /usr/bin/rustc --target wasm32-wasi -O --edition 2021 -C strip=debuginfo -o build/collatz.wasm wasi/collatz.rs
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::wasi::io::FromRawFd;

/// Output port k > 0 is fd k + 2.
const PORT_KEYED_FD: i32 = 3;

fn steps(start: u64) -> u64 {
    let (mut n, mut steps) = (start, 0);
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}

fn main() {
    let mut line = String::new();
    io::stdin().read_to_string(&mut line).expect("stdin");
    let start: u64 = match line.trim().parse() {
        Ok(n) if n >= 1 => n,
        _ => panic!("collatz: expected a start n >= 1, got {:?}", line.trim()),
    };
    let s = steps(start);
    println!("[{},{}]", start, s);
    // Safety: fd 3 is the host's output port 1 for the whole run; nothing else owns it.
    let mut keyed = unsafe { File::from_raw_fd(PORT_KEYED_FD) };
    writeln!(keyed, "[\"longest\",[{},{}]]", start, s).expect("fd 3");
}
