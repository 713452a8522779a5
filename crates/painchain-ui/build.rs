// `include_dir!` does not tell cargo which files it read, so a rebuilt
// `ui/dist` would not be picked up without this: cargo re-runs this script
// (and recompiles the crate) when anything under the directory changes.
fn main() {
    println!("cargo:rerun-if-changed=../../ui/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
