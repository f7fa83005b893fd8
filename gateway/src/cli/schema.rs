//! `iarms-gateway schema`: prints a canonical schema.

use clap::Args;

use super::Status;

#[derive(Debug, Args)]
#[command(
    about = "Print the JSON Schema of a canonical message (or the common definitions, or the XSD)",
    after_help = "MESSAGE is one of: record, search, hit-notification, trace-request, trace-response, common, xsd.\n\n\
Examples:\n  iarms-gateway schema record\n  iarms-gateway schema trace-request > trace_request.schema.json\n  iarms-gateway schema xsd"
)]
pub struct SchemaArgs {
    /// Message kind, `common` or `xsd`.
    pub message: String,
}

pub fn run(args: SchemaArgs) -> anyhow::Result<Status> {
    match iarms_adapters::schema::text(&args.message) {
        Some(text) => {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(Status::Ok)
        }
        None => anyhow::bail!(
            "unknown schema \"{}\"; choose one of: {}",
            args.message,
            iarms_adapters::schema::names().join(", ")
        ),
    }
}
