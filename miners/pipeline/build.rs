//! With the `python` feature, links every test of this crate with an rpath to the libpython pyo3
//! was configured against; without it the loader would pick up the system's older libpython.

fn main() {
    #[cfg(feature = "python")]
    pyo3_build_config::add_libpython_rpath_link_args();
}
