//! edge-grid ABI v1 kit for Rust (core/abi/README.md §1–§5, "Native kits"): one source file, no crates.
//! It gives the module the ABI's exports (`grid_abi_1`, `grid_alloc`), the imports (`grid.emit`,
//! `grid.fail`), a msgpack `Reader` for the input and a msgpack `Writer` for outputs. Panics become failed
//! jobs with the panic message. Include it as a module of your crate:
//!
//! ```ignore
//! #[path = "path/to/core/abi/rust/grid.rs"]
//! mod grid;
//!
//! #[no_mangle]
//! pub extern "C" fn twice(ptr: *const u8, len: usize) {
//!     let n = grid::input(ptr, len).int();
//!     grid::Writer::new().int(2 * n).emit(0);
//! }
//! ```
//!
//! Build (Debian's rustc by path; memory imported as env.memory so the host caps it):
//!   /usr/bin/rustc --target wasm32-unknown-unknown -O --edition 2021 --crate-type cdylib \
//!     -C link-arg=--import-memory -o f.wasm f.rs
#![allow(dead_code)]

#[link(wasm_import_module = "grid")]
extern "C" {
    #[link_name = "emit"]
    fn grid_emit(port: i32, ptr: *const u8, len: i32);
    #[link_name = "fail"]
    fn grid_fail(ptr: *const u8, len: i32) -> !;
}

/// Ends the call as a failed job with `message`.
pub fn fail(message: &str) -> ! {
    unsafe { grid_fail(message.as_ptr(), message.len() as i32) }
}

/// The version marker (any kind of export will do).
#[no_mangle]
pub extern "C" fn grid_abi_1() {}

static mut INPUT: Vec<u8> = Vec::new();
static mut HOOKED: bool = false;

/// Returns room for the next input; the previous one is freed.
#[no_mangle]
pub extern "C" fn grid_alloc(size: i32) -> *mut u8 {
    unsafe {
        if !HOOKED {
            HOOKED = true;
            std::panic::set_hook(Box::new(|info| fail(&info.to_string())));
        }
        INPUT = vec![0u8; size.max(0) as usize];
        INPUT.as_mut_ptr()
    }
}

/// A reader over the input `grid_alloc` returned.
pub fn input(ptr: *const u8, len: usize) -> Reader<'static> {
    Reader { bytes: unsafe { std::slice::from_raw_parts(ptr, len) }, pos: 0 }
}

/// Reads msgpack values one after another; a value of the wrong kind fails the call.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> u8 {
        match self.bytes.get(self.pos) {
            Some(b) => *b,
            None => fail("msgpack: input ends in the middle of a value"),
        }
    }
    fn be(&mut self, n: usize) -> u64 {
        if self.pos + n > self.bytes.len() {
            fail("msgpack: input ends in the middle of a value");
        }
        let mut v = 0u64;
        for b in &self.bytes[self.pos..self.pos + n] {
            v = (v << 8) | *b as u64;
        }
        self.pos += n;
        v
    }

    /// True when the next value is an integer (any width).
    pub fn is_int(&self) -> bool {
        let t = self.peek();
        t <= 0x7f || t >= 0xe0 || (0xcc..=0xd3).contains(&t)
    }

    /// True when the next value is a float (float32 or float64).
    pub fn is_float(&self) -> bool {
        matches!(self.peek(), 0xca | 0xcb)
    }

    /// An integer; a float64 holding an exact integer is accepted too.
    pub fn int(&mut self) -> i64 {
        let t = self.peek();
        self.pos += 1;
        match t {
            0x00..=0x7f => t as i64,
            0xe0..=0xff => t as i8 as i64,
            0xcc => self.be(1) as i64,
            0xcd => self.be(2) as i64,
            0xce => self.be(4) as i64,
            0xcf => {
                let v = self.be(8);
                if v > i64::MAX as u64 { fail("msgpack: uint64 above 2^63-1") }
                v as i64
            }
            0xd0 => self.be(1) as u8 as i8 as i64,
            0xd1 => self.be(2) as u16 as i16 as i64,
            0xd2 => self.be(4) as u32 as i32 as i64,
            0xd3 => self.be(8) as i64,
            0xca | 0xcb => {
                self.pos -= 1;
                let d = self.float();
                if d != (d as i64) as f64 { fail("msgpack: expected an integer, got a float with a fraction") }
                d as i64
            }
            _ => fail("msgpack: expected an integer"),
        }
    }

    pub fn float(&mut self) -> f64 {
        match self.peek() {
            0xcb => { self.pos += 1; f64::from_bits(self.be(8)) }
            0xca => { self.pos += 1; f32::from_bits(self.be(4) as u32) as f64 }
            _ if self.is_int() => self.int() as f64,
            _ => fail("msgpack: expected a number"),
        }
    }

    /// An array header: the number of elements that follow.
    pub fn array(&mut self) -> usize {
        let t = self.peek();
        self.pos += 1;
        match t {
            0x90..=0x9f => (t & 0x0f) as usize,
            0xdc => self.be(2) as usize,
            0xdd => self.be(4) as usize,
            _ => fail("msgpack: expected an array"),
        }
    }

    pub fn str(&mut self) -> &'a str {
        let t = self.peek();
        self.pos += 1;
        let n = match t {
            0xa0..=0xbf => (t & 0x1f) as usize,
            0xd9 => self.be(1) as usize,
            0xda => self.be(2) as usize,
            0xdb => self.be(4) as usize,
            _ => fail("msgpack: expected a string"),
        };
        if self.pos + n > self.bytes.len() { fail("msgpack: input ends in the middle of a value") }
        let s = std::str::from_utf8(&self.bytes[self.pos..self.pos + n]).unwrap_or_else(|_| fail("msgpack: a string is not UTF-8"));
        self.pos += n;
        s
    }

    /// Fails unless the whole input was read.
    pub fn finish(&self) {
        if self.pos != self.bytes.len() { fail("msgpack: extra bytes after the input value") }
    }
}

/// Writes one msgpack value (smallest forms), then `emit(port)` sends it.
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer { buf: Vec::with_capacity(64) }
    }
    fn tagged(&mut self, tag: u8, v: u64, n: usize) -> &mut Writer {
        self.buf.push(tag);
        self.buf.extend_from_slice(&v.to_be_bytes()[8 - n..]);
        self
    }
    pub fn nil(&mut self) -> &mut Writer { self.buf.push(0xc0); self }
    pub fn bool(&mut self, b: bool) -> &mut Writer { self.buf.push(if b { 0xc3 } else { 0xc2 }); self }
    pub fn int(&mut self, v: i64) -> &mut Writer {
        match v {
            0..=0x7f => { self.buf.push(v as u8); self }
            0x80..=0xff => self.tagged(0xcc, v as u64, 1),
            0x100..=0xffff => self.tagged(0xcd, v as u64, 2),
            0x1_0000..=0xffff_ffff => self.tagged(0xce, v as u64, 4),
            -32..=-1 => { self.buf.push(v as i8 as u8); self }
            -128..=-33 => self.tagged(0xd0, v as u64, 1),
            -32768..=-129 => self.tagged(0xd1, v as u64, 2),
            -2147483648..=-32769 => self.tagged(0xd2, v as u64, 4),
            _ if v > 0 => self.tagged(0xcf, v as u64, 8),
            _ => self.tagged(0xd3, v as u64, 8),
        }
    }
    pub fn float(&mut self, d: f64) -> &mut Writer { self.tagged(0xcb, d.to_bits(), 8) }
    pub fn array(&mut self, n: usize) -> &mut Writer {
        if n <= 15 { self.buf.push(0x90 | n as u8); self } else if n <= 0xffff { self.tagged(0xdc, n as u64, 2) } else { self.tagged(0xdd, n as u64, 4) }
    }
    pub fn str(&mut self, s: &str) -> &mut Writer {
        let n = s.len();
        if n <= 31 { self.buf.push(0xa0 | n as u8); } else if n <= 0xff { self.tagged(0xd9, n as u64, 1); } else if n <= 0xffff { self.tagged(0xda, n as u64, 2); } else { self.tagged(0xdb, n as u64, 4); }
        self.buf.extend_from_slice(s.as_bytes());
        self
    }
    pub fn bin(&mut self, b: &[u8]) -> &mut Writer {
        let n = b.len();
        if n <= 0xff { self.tagged(0xc4, n as u64, 1); } else if n <= 0xffff { self.tagged(0xc5, n as u64, 2); } else { self.tagged(0xc6, n as u64, 4); }
        self.buf.extend_from_slice(b);
        self
    }
    /// Sends the value written so far as one output on `port`, and empties the writer.
    pub fn emit(&mut self, port: i32) {
        unsafe { grid_emit(port, self.buf.as_ptr(), self.buf.len() as i32) };
        self.buf.clear();
    }
}
