//! Gates from a Prometheus: each query asked of its HTTP API (`/api/v1/query`) after every
//! reading of the router, its one number held against a bound.
//!
//! The rules:
//! - A query must come back as one number: a scalar, or a vector of exactly one series
//!   (aggregate it with `sum`, `max`…). An empty vector is a failed check ("no data"), never a
//!   pass: a canary nobody measured has not passed anything.
//! - NaN (a rate over no requests) is no number either: failed, and said.
//! - A Prometheus that does not answer fails every query it has, with why.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long one query may take.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// One `[[rollout.gates.query]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub name: String,
    pub query: String,
    /// It fails above this.
    pub max: Option<f64>,
    /// It fails below this.
    pub min: Option<f64>,
}

/// What one query gave at one reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub name: String,
    pub value: Result<f64, String>,
}

/// Asks every query of the Prometheus at `base` (`http://host:9090`), all at once.
pub async fn ask_all(base: &str, queries: &[Query]) -> Vec<Answer> {
    futures_util::future::join_all(queries.iter().map(|q| async move {
        Answer {
            name: q.name.clone(),
            value: ask(base, &q.query).await,
        }
    }))
    .await
}

/// The one number `query` gives now.
pub async fn ask(base: &str, query: &str) -> Result<f64, String> {
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let url = format!(
        "{}/api/v1/query?query={encoded}",
        base.trim_end_matches('/')
    );
    let body = super::http::get(&url, QUERY_TIMEOUT)
        .await
        .map_err(|e| format!("Prometheus at {base}: {e}"))?;
    one_number(&body).map_err(|e| format!("Prometheus at {base}: {e}"))
}

/// The number in an `/api/v1/query` answer, or why there is none.
pub fn one_number(body: &str) -> Result<f64, String> {
    #[derive(Deserialize)]
    struct Reply {
        status: String,
        data: Option<Data>,
        error: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
    enum Data {
        Vector(Vec<Series>),
        Scalar((f64, String)),
        Matrix(serde::de::IgnoredAny),
        String(serde::de::IgnoredAny),
    }
    #[derive(Deserialize)]
    struct Series {
        value: (f64, String),
    }
    let reply: Reply =
        serde_json::from_str(body).map_err(|e| format!("not an answer of its query API: {e}"))?;
    if reply.status != "success" {
        return Err(reply.error.unwrap_or(reply.status));
    }
    let text = match reply.data.ok_or("an answer without data")? {
        Data::Scalar((_, v)) => v,
        Data::Vector(series) => match series.as_slice() {
            [] => return Err("no data: the query returned nothing".into()),
            [one] => one.value.1.clone(),
            many => {
                return Err(format!(
                    "the query returned {} series; aggregate it to one (sum, max…)",
                    many.len()
                ))
            }
        },
        Data::Matrix(_) | Data::String(_) => {
            return Err("the query returns no number (a range or a string)".into())
        }
    };
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.is_nan() {
        return Err("NaN (a ratio over no requests?)".into());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_or_why_not() {
        let vector = |result: &str| {
            format!(r#"{{"status":"success","data":{{"resultType":"vector","result":{result}}}}}"#)
        };
        assert_eq!(
            one_number(&vector(r#"[{"metric":{},"value":[1.5,"0.25"]}]"#)),
            Ok(0.25)
        );
        assert!(one_number(&vector("[]")).unwrap_err().contains("no data"));
        assert!(one_number(&vector(
            r#"[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]"#
        ))
        .unwrap_err()
        .contains("2 series"));
        assert!(one_number(&vector(r#"[{"metric":{},"value":[1,"NaN"]}]"#))
            .unwrap_err()
            .contains("NaN"));
        assert_eq!(
            one_number(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"3"]}}"#),
            Ok(3.0)
        );
        assert!(one_number(
            r#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#
        )
        .unwrap_err()
        .contains("parse error"));
    }
}
