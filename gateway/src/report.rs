//! The one place that prints errors for people: fatal errors (I/O, usage) and
//! located record errors, plain and readable, with the cause chain.

use iarms_adapters::RecordError;

/// Prints a fatal error and its causes to stderr.
pub fn print_fatal(error: &anyhow::Error) {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// One line per record error: `input.csv: record 3 (line 4) field firearm.calibre: unknown calibre "x"`.
pub fn record_error_line(error: &RecordError) -> String {
    format!("{}: {error}", error.code.as_str())
}
