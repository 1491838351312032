//! With the `python` feature, links every binary and test of this crate with an rpath to the
//! libpython pyo3 was configured against (without it the loader would pick up the system's older
//! libpython first) and records that interpreter's version and library directory so a test can
//! check that the interpreter running is the one built against.

fn main() {
    #[cfg(feature = "python")]
    {
        pyo3_build_config::add_libpython_rpath_link_args();
        let config = pyo3_build_config::get();
        println!(
            "cargo:rustc-env=LLEMC_PYO3_VERSION={}.{}",
            config.version().major,
            config.version().minor
        );
        println!(
            "cargo:rustc-env=LLEMC_PYO3_LIB_DIR={}",
            config.lib_dir().unwrap_or_default()
        );
    }
}
