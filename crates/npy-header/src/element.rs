//! The Rust types that hold the items of NumPy's numeric types.

use crate::dtype::Kind;

mod sealed {
    pub trait Sealed {}
}

/// A plain Rust type whose values are, byte for byte in native order, the items of one
/// NumPy scalar type: `i8`…`i64` (`int8`…`int64`), `u8`…`u64` (`uint8`…`uint64`), `f32`
/// and `f64` (`float32`, `float64`), and complex numbers as `[f32; 2]` / `[f64; 2]`
/// (real, imaginary: `complex64`, `complex128`). Writers take values of these types
/// (`npy-append`), readers give views of them (`npy-mmap`).
///
/// `float16`, `longdouble`, datetimes, strings and `bool` have no `Element` type (a
/// `bool` file may hold any byte, which would be undefined behaviour in a Rust `bool`:
/// read them as `u8`). The trait is sealed: the set is what `bytemuck` can cast safely
/// and what NumPy's kinds mean.
///
/// ```
/// use npy_header::{Element, Kind};
/// assert_eq!((i16::KIND, i16::NAME, i16::RUST_NAME), (Kind::Int, "int16", "i16"));
/// assert_eq!(<[f32; 2]>::NAME, "complex64");
/// assert_eq!(0x0102u16.swap_bytes(), 0x0201);
/// ```
pub trait Element: bytemuck::Pod + sealed::Sealed {
    /// The NumPy kind of the type (its item size is `size_of::<Self>()`).
    const KIND: Kind;
    /// NumPy's name for the type (`"int16"`, `"complex64"`), for messages.
    const NAME: &'static str;
    /// Rust's name for the type (`"i16"`, `"[f32; 2]"`), for messages.
    const RUST_NAME: &'static str;

    /// The value with its bytes in the other order (each part separately for complex
    /// numbers).
    fn swap_bytes(self) -> Self;
}

macro_rules! int_element {
    ($($t:ty => $kind:ident, $name:literal;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: Kind = Kind::$kind;
            const NAME: &'static str = $name;
            const RUST_NAME: &'static str = stringify!($t);
            fn swap_bytes(self) -> Self {
                <$t>::swap_bytes(self)
            }
        }
    )*};
}

int_element! {
    u8 => UInt, "uint8";
    i8 => Int, "int8";
    u16 => UInt, "uint16";
    i16 => Int, "int16";
    u32 => UInt, "uint32";
    i32 => Int, "int32";
    u64 => UInt, "uint64";
    i64 => Int, "int64";
}

macro_rules! float_element {
    ($($t:ty => $name:literal, $complex:literal;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const KIND: Kind = Kind::Float;
            const NAME: &'static str = $name;
            const RUST_NAME: &'static str = stringify!($t);
            fn swap_bytes(self) -> Self {
                <$t>::from_bits(self.to_bits().swap_bytes())
            }
        }
        impl sealed::Sealed for [$t; 2] {}
        impl Element for [$t; 2] {
            const KIND: Kind = Kind::Complex;
            const NAME: &'static str = $complex;
            const RUST_NAME: &'static str = concat!("[", stringify!($t), "; 2]");
            fn swap_bytes(self) -> Self {
                self.map(Element::swap_bytes)
            }
        }
    )*};
}

float_element! {
    f32 => "float32", "complex64";
    f64 => "float64", "complex128";
}
