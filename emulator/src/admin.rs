//! The admin API: inspect and replace the scenario, set faults, read call counts. It is never
//! subject to faults, so a test can always reach it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::faults::Faults;
use crate::scenario::Scenario;
use crate::{SharedState, lock};

pub(crate) async fn get_scenario(State(state): State<SharedState>) -> Json<Scenario> {
    Json(lock(&state.scenario).clone())
}

pub(crate) async fn put_scenario(State(state): State<SharedState>, body: Bytes) -> Response {
    match parse::<Scenario>(&body) {
        Ok(scenario) => {
            *lock(&state.scenario) = scenario;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

pub(crate) async fn get_faults(State(state): State<SharedState>) -> Json<Faults> {
    Json(state.faults.get())
}

pub(crate) async fn put_faults(State(state): State<SharedState>, body: Bytes) -> Response {
    let faults = parse::<Faults>(&body)
        .and_then(|faults| faults.validate().map(|()| faults).map_err(|e| format!("{e}\n")));
    match faults {
        Ok(faults) => {
            state.faults.set(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, message).into_response(),
    }
}

pub(crate) async fn get_calls(State(state): State<SharedState>) -> Response {
    Json(lock(&state.calls).clone()).into_response()
}

pub(crate) async fn delete_calls(State(state): State<SharedState>) -> StatusCode {
    lock(&state.calls).clear();
    StatusCode::NO_CONTENT
}

/// Parses JSON, naming the path of the offending member in the error.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| format!("invalid JSON at `{}`: {}\n", e.path(), e.inner()))
}
