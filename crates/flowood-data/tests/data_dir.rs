//! The data directory comes from `$FLOWOOD_DATA` only. This binary holds one test, so
//! changing the variable races with nothing.

// Changing the environment is `unsafe` since edition 2024 (see the SAFETY notes).
#![allow(unsafe_code)]

use flowood_data::{DATA_ENV, DataError, data_dir};

#[test]
fn the_data_directory_is_the_variable_or_an_error() {
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe { std::env::set_var(DATA_ENV, "/somewhere/data") };
    assert_eq!(data_dir().unwrap(), std::path::Path::new("/somewhere/data"));
    for unset in [None, Some("")] {
        // SAFETY: as above.
        unsafe {
            match unset {
                Some(value) => std::env::set_var(DATA_ENV, value),
                None => std::env::remove_var(DATA_ENV),
            }
        }
        let error = data_dir().unwrap_err();
        assert!(matches!(error, DataError::DataDirUnset));
        assert!(error.to_string().contains("FLOWOOD_DATA"));
    }
}
