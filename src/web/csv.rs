//! CSV exports: one encoder for every list and report of the product.
//!
//! Two dialects. The default opens with a double-click in Excel set to
//! French (Canada): `;` between cells, a UTF-8 byte-order mark, decimal
//! comma. `?format=virgule` gives plain comma-separated UTF-8 with a
//! decimal point for other tools. Text cells that a spreadsheet would run
//! as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) are neutralised with a leading apostrophe; numbers never are.
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;

/// The query value that asks for the comma-separated variant.
pub const COMMA_PARAM: &str = "virgule";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// `;`, BOM, decimal comma: Excel in French (Canada).
    #[default]
    Excel,
    /// `,`, no BOM, decimal point: other tools.
    Comma,
}

impl Dialect {
    /// From the `format` query parameter; anything unknown is Excel's.
    pub fn from_param(value: Option<&str>) -> Dialect {
        match value.map(str::trim) {
            Some(COMMA_PARAM) | Some("comma") => Dialect::Comma,
            _ => Dialect::Excel,
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Dialect::Excel => b';',
            Dialect::Comma => b',',
        }
    }

    fn decimal_separator(self) -> char {
        match self {
            Dialect::Excel => ',',
            Dialect::Comma => '.',
        }
    }
}

/// The same export's address in the comma-separated variant.
pub fn comma_href(href: &str) -> String {
    let sep = if href.contains('?') { '&' } else { '?' };
    format!("{href}{sep}format={COMMA_PARAM}")
}

/// One cell: text is neutralised, numbers are written as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A decimal number with this many places (e.g. a rate in percent).
    Decimal(f64, usize),
    /// Written as an empty cell (e.g. a rate when nothing was due).
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&String> for Cell {
    fn from(s: &String) -> Cell {
        Cell::Text(s.clone())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Cell {
        Cell::Int(n.into())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

/// A text cell a spreadsheet would take for a formula gets an apostrophe
/// in front. A number written as text (`-12`, `-12,5`, `-1e3`) is left
/// alone; words Rust reads as numbers but a spreadsheet does not (`-inf`,
/// `+NaN`) are not numbers here.
pub fn neutralise(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let digits_only = s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | ',' | 'e' | 'E'));
    let number =
        digits_only && (s.parse::<f64>().is_ok() || s.replacen(',', ".", 1).parse::<f64>().is_ok());
    if risky && !number {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Encodes rows into bytes, in memory or chunk by chunk for a stream.
pub struct CsvEncoder {
    dialect: Dialect,
    builder: csv::WriterBuilder,
    out: Vec<u8>,
}

impl CsvEncoder {
    /// A new file: the byte-order mark (Excel dialect) and the header row.
    pub fn new(dialect: Dialect, header: &[&str]) -> Result<CsvEncoder, AppError> {
        let out = match dialect {
            Dialect::Excel => "\u{feff}".as_bytes().to_vec(),
            Dialect::Comma => Vec::new(),
        };
        let mut builder = csv::WriterBuilder::new();
        builder.delimiter(dialect.delimiter()).buffer_capacity(1024);
        let mut encoder = CsvEncoder {
            dialect,
            builder,
            out,
        };
        encoder.row(header.iter().map(|h| Cell::Text(h.to_string())))?;
        Ok(encoder)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Writes one row.
    pub fn row<I>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = Cell>,
    {
        let dialect = self.dialect;
        let record: Vec<String> = cells.into_iter().map(|c| render(dialect, c)).collect();
        let mut writer = self.builder.from_writer(std::mem::take(&mut self.out));
        writer.write_record(&record).map_err(csv_error)?;
        self.out = writer
            .into_inner()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("CSV : {e}")))?;
        Ok(())
    }

    /// The bytes written so far, emptying the buffer (for streaming).
    pub fn take_chunk(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// The whole file (or what is left of it after `take_chunk`).
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    /// The whole file as a download named `filename` (without `.csv`).
    pub fn into_response(self, filename: &str) -> Result<Response, AppError> {
        Ok((download_headers(filename), self.finish()).into_response())
    }
}

fn render(dialect: Dialect, cell: Cell) -> String {
    match cell {
        Cell::Text(s) => neutralise(&s),
        Cell::Int(n) => n.to_string(),
        Cell::Decimal(x, places) => {
            let s = format!("{x:.places$}");
            s.replace('.', &dialect.decimal_separator().to_string())
        }
        Cell::Empty => String::new(),
    }
}

/// Headers of a CSV download (`filename` without `.csv`; ASCII only).
pub fn download_headers(filename: &str) -> [(header::HeaderName, String); 2] {
    let safe: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe}.csv\""),
        ),
    ]
}

/// Bytes gathered before they are handed to the connection.
const STREAM_CHUNK: usize = 32 * 1024;

/// Streams the rows of `query` as a CSV download: a task reads them one by
/// one from the database and sends chunks through a small channel, so a
/// list of any length holds only a chunk in memory, and a client that goes
/// away stops the query. A database error mid-way cuts the download short
/// (logged) rather than handing over a file that looks complete.
pub fn stream_query<T, F>(
    pool: sqlx::PgPool,
    mut query: sqlx::QueryBuilder<sqlx::Postgres>,
    mut encoder: CsvEncoder,
    filename: &str,
    mut cells: F,
) -> Response
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin + 'static,
    F: FnMut(T) -> Vec<Cell> + Send + 'static,
{
    use futures_util::TryStreamExt;
    type Chunk = Result<Vec<u8>, std::io::Error>;
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    tokio::spawn(async move {
        let mut buffer = encoder.take_chunk();
        let mut rows = query.build_query_as::<T>().fetch(&pool);
        loop {
            let failure = match rows.try_next().await {
                Ok(Some(row)) => encoder.row(cells(row)).err().map(|e| e.to_string()),
                Ok(None) => break,
                Err(e) => Some(e.to_string()),
            };
            if let Some(error) = failure {
                tracing::error!(%error, "export CSV interrompu");
                let _ = tx.send(Err(std::io::Error::other(error))).await;
                return;
            }
            buffer.extend(encoder.take_chunk());
            if buffer.len() >= STREAM_CHUNK
                && tx.send(Ok(std::mem::take(&mut buffer))).await.is_err()
            {
                return; // the client went away
            }
        }
        buffer.extend(encoder.finish());
        let _ = tx.send(Ok(buffer)).await;
    });
    // Fused: the compression layer polls the body once more after its end,
    // and a bare `unfold` panics when polled after returning `None` (the
    // download was then cut short for every browser, which all ask for gzip).
    let chunks =
        futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        }));
    (
        download_headers(filename),
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

fn csv_error(e: csv::Error) -> AppError {
    AppError::Internal(e.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dialect: Dialect, rows: Vec<Vec<Cell>>) -> String {
        let mut e = CsvEncoder::new(dialect, &["Nom", "Taux"]).unwrap();
        for r in rows {
            e.row(r).unwrap();
        }
        String::from_utf8(e.finish()).unwrap()
    }

    #[test]
    fn excel_dialect_has_bom_semicolons_and_decimal_comma() {
        let text = file(
            Dialect::Excel,
            vec![vec!["Côté".into(), Cell::Decimal(87.25, 1)]],
        );
        assert_eq!(text, "\u{feff}Nom;Taux\nCôté;87,2\n");
    }

    #[test]
    fn comma_dialect_has_no_bom_and_a_decimal_point() {
        let text = file(
            Dialect::Comma,
            vec![vec!["Roy, Luc".into(), Cell::Decimal(50.0, 1)]],
        );
        assert_eq!(text, "Nom,Taux\n\"Roy, Luc\",50.0\n");
    }

    #[test]
    fn a_decimal_comma_cell_is_quoted_in_the_comma_dialect_only_if_needed() {
        let text = file(Dialect::Excel, vec![vec!["a;b".into(), Cell::Empty]]);
        assert_eq!(text, "\u{feff}Nom;Taux\n\"a;b\";\n");
    }

    #[test]
    fn formula_starts_are_neutralised() {
        for risky in [
            "=SUM(A1)",
            "+1+2",
            "-x",
            "@cmd",
            "\tcache",
            "\rretour",
            "\t12",
            "-inf",
            "+NaN",
            "-Infinity",
        ] {
            assert_eq!(neutralise(risky), format!("'{risky}"), "{risky:?}");
        }
    }

    #[test]
    fn numbers_and_plain_text_stay_as_they_are() {
        for plain in ["-12", "-12.5", "-12,5", "+15", "-1e3", "Marie", "", "a=b"] {
            assert_eq!(neutralise(plain), plain, "{plain:?}");
        }
        assert_eq!(render(Dialect::Excel, Cell::Int(-12)), "-12");
    }

    #[test]
    fn the_format_parameter_picks_the_dialect() {
        assert_eq!(Dialect::from_param(Some("virgule")), Dialect::Comma);
        assert_eq!(Dialect::from_param(None), Dialect::Excel);
        assert_eq!(Dialect::from_param(Some("n'importe")), Dialect::Excel);
    }

    #[test]
    fn chunks_concatenate_to_the_whole_file() {
        let mut e = CsvEncoder::new(Dialect::Excel, &["A"]).unwrap();
        let mut all = e.take_chunk();
        e.row([Cell::Int(1)]).unwrap();
        all.extend(e.take_chunk());
        e.row([Cell::Int(2)]).unwrap();
        all.extend(e.finish());
        assert_eq!(String::from_utf8(all).unwrap(), "\u{feff}A\n1\n2\n");
    }

    #[test]
    fn comma_links_keep_the_filters() {
        assert_eq!(comma_href("/x.csv"), "/x.csv?format=virgule");
        assert_eq!(comma_href("/x.csv?q=a"), "/x.csv?q=a&format=virgule");
    }

    #[test]
    fn download_names_are_ascii() {
        let [_, (_, disposition)] = download_headers("rétention 2026");
        assert_eq!(disposition, "attachment; filename=\"r-tention-2026.csv\"");
    }
}
