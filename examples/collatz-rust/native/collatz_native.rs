//! The Collatz feedback loop of examples/collatz, in Rust with the native ABI v1 kit (core/abi/rust/grid.rs):
//! one long-lived instance, one step per call, the same functions and outputs as the AssemblyScript ones.
//!
//! Build: /usr/bin/rustc --target wasm32-unknown-unknown -O --edition 2021 --crate-type cdylib \
//!          -C link-arg=--import-memory -o build/collatz_native.wasm native/collatz_native.rs
#[path = "../../../core/abi/rust/grid.rs"]
mod grid;

const NEXT: i32 = 0; // output port "next": [start, current, steps], fed back into the stage
const DONE: i32 = 1; // output port "done": [start, steps]

/// Input: a start n, or [start, current, steps] from a previous step.
#[no_mangle]
pub extern "C" fn step(ptr: *const u8, len: usize) {
    let mut r = grid::input(ptr, len);
    let (start, current, steps) = if r.is_int() {
        let n = r.int();
        (n, n, 0)
    } else {
        if r.array() != 3 { grid::fail("step: expected a start n or [start, current, steps]") }
        (r.int(), r.int(), r.int())
    };
    r.finish();
    if current < 1 { grid::fail(&format!("step: Collatz trajectories start at 1 or above, got {}", current)) }
    if current == 1 {
        grid::Writer::new().array(2).int(start).int(steps).emit(DONE);
        return;
    }
    let next = if current % 2 == 0 { current / 2 } else { 3 * current + 1 };
    grid::Writer::new().array(3).int(start).int(next).int(steps + 1).emit(NEXT);
}

/// [start, steps] → ["longest", [start, steps]]: one constant key for the `longest` aggregate.
#[no_mangle]
pub extern "C" fn keyed(ptr: *const u8, len: usize) {
    let mut r = grid::input(ptr, len);
    if r.array() != 2 { grid::fail("keyed: expected [start, steps]") }
    let (start, steps) = (r.int(), r.int());
    grid::Writer::new().array(2).str("longest").array(2).int(start).int(steps).emit(0);
}

/// Aggregate combine: of [start, steps] pairs, the one with the most steps; on a tie, the smaller start.
#[no_mangle]
pub extern "C" fn longest(ptr: *const u8, len: usize) {
    let mut r = grid::input(ptr, len);
    let n = r.array();
    let mut best = (0i64, -1i64);
    for _ in 0..n {
        if r.array() != 2 { grid::fail("longest: expected [start, steps] pairs") }
        let (start, steps) = (r.int(), r.int());
        if steps > best.1 || (steps == best.1 && start < best.0) { best = (start, steps) }
    }
    grid::Writer::new().array(2).int(best.0).int(best.1).emit(0);
}
