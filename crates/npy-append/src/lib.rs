//! Append to NumPy `.npy` files.
//!
//! (Manual in progress.)

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cast;
mod convert;
mod ensure;
mod error;
mod input;
mod journal;
mod layout;
mod recover;
mod storage;
mod writer;

#[cfg(feature = "testing")]
pub mod testing;

pub use crate::cast::{Cast, Element};
pub use crate::convert::{convert, convert_on, convert_with, finalize, finalize_on, Converted};
pub use crate::ensure::{
    ensure_appendable, ensure_appendable_in_place_on, ensure_appendable_with, Appendable,
    EnsureMode, MoveOptions, DEFAULT_CHUNK_BYTES,
};
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::input::REORDER_BYTES;
pub use crate::journal::{Progress, MAX_MOVE_CHUNK};
pub use crate::layout::MAX_HEADER_LEN;
pub use crate::recover::{recover, recover_on, Adopt, RecoverOptions, Recovered, Replayed};
pub use crate::storage::Storage;
pub use crate::writer::{
    Appender, Durability, HeaderPolicy, NewArray, Options, DEFAULT_BUFFER_BYTES,
};
