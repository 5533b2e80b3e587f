"""The control-plane emulator as boto3 (botocore, the AWS CLI's engine) sees it.

boto3 sends CodeConnections as awsJson1_0, CodePipeline as awsJson1_1 and CloudFormation as
awsQuery; the Rust SDK tests cover RPC v2 CBOR. This drives every operation syncwarden uses
(shared/src/poll/control_plane.rs, shared/src/resolve/), follows every NextToken/nextToken, and
checks each modelled error as botocore surfaces it: the code, the HTTP status botocore's own
model gives the shape, and the message.

It starts nothing: `scripts/test.sh` starts the emulator and passes its URL in
SYNCWARDEN_EMULATOR_URL (loopback only). The emulator's state is restored at the end.

    SYNCWARDEN_EMULATOR_URL=http://127.0.0.1:4599 .venv/bin/python tests/boto3/test_emulator.py
"""

import json
import os
import sys
import traceback
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ.get("SYNCWARDEN_EMULATOR_URL", "")
if not URL.startswith("http://127.0.0.1:"):
    sys.exit(f"SYNCWARDEN_EMULATOR_URL={URL!r}: set it to the emulator on 127.0.0.1")

STACK = "payments-api"
BLOCKER = "e7a3c1d9-4b2f-4f6e-8a1d-5c9b0e2f7a31"
LINK = "550e8400-e29b-41d4-a716-446655440000"
CONNECTION = (
    "arn:aws:codeconnections:eu-west-1:111122223333:connection/0f5b706a-5b1e-4c4e-9d51-2c3f7e0d9a11"
)
PIPELINE = "payments-release"
FAILED_RUN = "3f1a9c2e-7b4d-4e8a-9c1f-2d6b8e0a4f73"
SYNC = "CFN_STACK_SYNC"


def admin(method, path, body=None):
    """The emulator's admin API (never faulted)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def client(service, attempts=None):
    """A client on the emulator. Error tests make one attempt, so one forced error is one answer.

    botocore's `max_attempts` counts retries (`{"max_attempts": 1}` still sends a retryable
    error twice); `total_max_attempts` counts attempts, the initial one included.
    """
    config = None
    if attempts:
        config = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return boto3.client(service, endpoint_url=URL, region_name="eu-west-1", config=config)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def all_pages(call, items_key, token_key, size_key, **kwargs):
    """Follows the token by hand, one item per page, and returns (items, pages)."""
    items, pages, token = [], 0, None
    while True:
        args = dict(kwargs, **{size_key: 1})
        if token:
            args[token_key] = token
        page = call(**args)
        pages += 1
        items.extend(page[items_key])
        token = page.get(token_key)
        if not token:
            return items, pages


# --- the operations syncwarden uses -------------------------------------------------------


def test_discovery_and_reads():
    cc = client("codeconnections")
    links = cc.list_repository_links()["RepositoryLinks"]
    check([l["RepositoryLinkId"] for l in links] == [LINK], links)
    check(cc.get_repository_link(RepositoryLinkId=LINK)["RepositoryLinkInfo"]["RepositoryName"]
          == "infra-repo", "GetRepositoryLink")

    configs, pages = all_pages(cc.list_sync_configurations, "SyncConfigurations", "NextToken",
                               "MaxResults", RepositoryLinkId=LINK, SyncType=SYNC)
    names = [c["ResourceName"] for c in configs]
    check(names == ["payments-api", "network-core", "search-index"], names)
    check(pages == 3, f"one stack per page: {pages} pages")

    status = cc.get_resource_sync_status(ResourceName=STACK, SyncType=SYNC)
    latest = status["LatestSync"]
    check(latest["Status"] == "FAILED", latest)
    # awsJson timestamps are epoch seconds; botocore turns them into aware datetimes.
    check(latest["StartedAt"].year == 2026 and latest["StartedAt"].tzinfo is not None, latest)
    check(len(status["DesiredState"]["Sha"]) == 40, status["DesiredState"])

    summary = cc.get_sync_blocker_summary(ResourceName=STACK, SyncType=SYNC)["SyncBlockerSummary"]
    blocker = summary["LatestBlockers"][0]
    check((blocker["Id"], blocker["Status"]) == (BLOCKER, "ACTIVE"), blocker)
    check(any(c["Key"] == "StackStatus" for c in blocker["Contexts"]), blocker)

    repo = cc.get_repository_sync_status(RepositoryLinkId=LINK, Branch="main", SyncType=SYNC)
    check(repo["LatestSync"]["Status"] == "SUCCEEDED", repo)

    connection = cc.get_connection(ConnectionArn=CONNECTION)["Connection"]
    check(connection["ConnectionStatus"] == "AVAILABLE", connection)
    connections, _ = all_pages(cc.list_connections, "Connections", "NextToken", "MaxResults")
    check([c["ConnectionArn"] for c in connections] == [CONNECTION], connections)
    definitions = cc.list_repository_sync_definitions(RepositoryLinkId=LINK, SyncType=SYNC)
    check(len(definitions["RepositorySyncDefinitions"]) == 3, definitions)
    check(cc.get_sync_configuration(ResourceName=STACK, SyncType=SYNC)["SyncConfiguration"]
          ["Branch"] == "main", "GetSyncConfiguration")


def test_update_sync_blocker_resolves_and_the_sync_resumes():
    cc = client("codeconnections")
    answer = cc.update_sync_blocker(Id=BLOCKER, SyncType=SYNC, ResourceName=STACK,
                                    ResolvedReason="boto3 test")
    blocker = answer["SyncBlocker"]
    check((blocker["Status"], blocker["ResolvedReason"]) == ("RESOLVED", "boto3 test"), blocker)
    check(blocker["ResolvedAt"] >= blocker["CreatedAt"], blocker)
    # The same state the RPC v2 route serves: the resolved blocker and the resumed sync.
    listed = cc.get_sync_blocker_summary(ResourceName=STACK, SyncType=SYNC)
    check(listed["SyncBlockerSummary"]["LatestBlockers"][0]["Status"] == "RESOLVED", listed)
    status = cc.get_resource_sync_status(ResourceName=STACK, SyncType=SYNC)
    check(status["LatestSync"]["Status"] == "INITIATED", status["LatestSync"])
    check(admin("GET", "/admin/scenario")["stacks"][STACK]["blockers"][0]["status"] == "RESOLVED",
          "the emulator's state changed")


def test_pipelines():
    cp = client("codepipeline")
    pipelines, pages = all_pages(cp.list_pipelines, "pipelines", "nextToken", "maxResults")
    check([p["name"] for p in pipelines] == ["payments-release", "network-release",
                                             "search-release"], pipelines)
    check(pages == 3, pages)
    # botocore's own paginator follows the same tokens.
    paged = cp.get_paginator("list_pipelines").paginate(PaginationConfig={"PageSize": 2})
    check(sum(len(p["pipelines"]) for p in paged) == 3, "paginator")

    executions, pages = all_pages(cp.list_pipeline_executions, "pipelineExecutionSummaries",
                                  "nextToken", "maxResults", pipelineName=PIPELINE)
    check(len(executions) == 2 and pages == 2, executions)
    check(executions[0]["status"] == "Failed", executions[0])
    check(executions[0]["sourceRevisions"][0]["revisionId"], executions[0])

    state = cp.get_pipeline_state(name=PIPELINE)
    check(state["pipelineName"] == PIPELINE and state["stageStates"], state)


def test_what_a_pipeline_run_did():
    """ListActionExecutions filtered by the run, paged by hand and by botocore's paginator, and
    GetPipelineExecution's artifact revisions and trigger."""
    cp = client("codepipeline")
    run = {"pipelineExecutionId": FAILED_RUN}
    actions, pages = all_pages(cp.list_action_executions, "actionExecutionDetails", "nextToken",
                               "maxResults", pipelineName=PIPELINE, filter=run)
    found = [(a["stageName"], a["actionName"], a["status"]) for a in actions]
    check(found == [("Deploy", "Deploy", "Failed"), ("Build", "Build", "Succeeded"),
                    ("Source", "Source", "Succeeded")], found)
    check(pages == 3, f"one action per page: {pages} pages")
    deploy = actions[0]
    check(deploy["pipelineExecutionId"] == FAILED_RUN and deploy["pipelineVersion"] == 3, deploy)
    check(deploy["startTime"].tzinfo is not None and deploy["lastUpdateTime"], deploy)
    result = deploy["output"]["executionResult"]
    check(result["errorDetails"]["code"] == "JobFailed", result)
    check(result["externalExecutionSummary"] == "Deployment failed", result)
    paged = cp.get_paginator("list_action_executions").paginate(
        pipelineName=PIPELINE, filter=run, PaginationConfig={"PageSize": 2})
    check(sum(len(p["actionExecutionDetails"]) for p in paged) == 3, "paginator")

    execution = cp.get_pipeline_execution(pipelineName=PIPELINE,
                                          pipelineExecutionId=FAILED_RUN)["pipelineExecution"]
    check((execution["status"], execution["pipelineVersion"]) == ("Failed", 3), execution)
    check(execution["trigger"]["triggerType"] == "WebhookV2", execution)
    revision = execution["artifactRevisions"][0]
    check(revision["name"] == "SourceArtifact" and len(revision["revisionId"]) == 40, revision)


def test_describe_stacks():
    cf = client("cloudformation")
    stack = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    check(stack["StackName"] == STACK and stack["StackStatus"], stack)
    paged = cf.get_paginator("describe_stacks").paginate()
    check(sum(len(p["Stacks"]) for p in paged) == 3, "every stack, one page")


# --- the modelled errors ------------------------------------------------------------------

# A valid call of each operation; a forced error replaces its answer.
CALLS = {
    "codeconnections": {
        "ListRepositoryLinks": {},
        "GetRepositoryLink": {"RepositoryLinkId": LINK},
        "ListSyncConfigurations": {"RepositoryLinkId": LINK, "SyncType": SYNC},
        "GetSyncConfiguration": {"ResourceName": STACK, "SyncType": SYNC},
        "ListRepositorySyncDefinitions": {"RepositoryLinkId": LINK, "SyncType": SYNC},
        "GetResourceSyncStatus": {"ResourceName": STACK, "SyncType": SYNC},
        "GetRepositorySyncStatus": {"RepositoryLinkId": LINK, "Branch": "main", "SyncType": SYNC},
        "GetSyncBlockerSummary": {"ResourceName": STACK, "SyncType": SYNC},
        "UpdateSyncBlocker": {"Id": BLOCKER, "SyncType": SYNC, "ResourceName": STACK,
                              "ResolvedReason": "boto3 test"},
        "GetConnection": {"ConnectionArn": CONNECTION},
        "ListConnections": {},
    },
    "codepipeline": {
        "ListPipelines": {},
        "GetPipelineState": {"name": PIPELINE},
        "ListPipelineExecutions": {"pipelineName": PIPELINE},
        "ListActionExecutions": {"pipelineName": PIPELINE,
                                 "filter": {"pipelineExecutionId": FAILED_RUN}},
        "GetPipelineExecution": {"pipelineName": PIPELINE, "pipelineExecutionId": FAILED_RUN},
    },
    "cloudformation": {"DescribeStacks": {"StackName": STACK}},
}

# AWS's common errors (they reach every API; the models list none of them for these
# operations), with the code each protocol uses and the status AWS sends.
COMMON = {
    "codepipeline": {"ThrottlingException": 400, "AccessDeniedException": 400,
                     "InternalFailure": 500},
    "cloudformation": {"Throttling": 400, "AccessDenied": 403, "InternalFailure": 500},
}


def expect_error(call, code, status, message=None):
    try:
        call()
    except ClientError as e:
        error, meta = e.response["Error"], e.response["ResponseMetadata"]
        check(error["Code"] == code, f"code {error['Code']}, expected {code}")
        check(meta["HTTPStatusCode"] == status,
              f"{code}: HTTP {meta['HTTPStatusCode']}, expected {status}")
        check(error.get("Message"), f"{code}: no message")
        if message is not None:
            check(error["Message"] == message, f"{code}: message {error['Message']!r}")
        return error["Message"]
    raise AssertionError(f"expected {code}, the call succeeded")


def snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def test_every_modelled_error_of_every_operation():
    """Forces each error the model lists for each operation (and the common ones where the model
    lists none) and checks it against botocore's model: code, HTTP status, message."""
    checked = 0
    for service, calls in CALLS.items():
        c = client(service, attempts=1)
        model = c.meta.service_model
        for operation, kwargs in calls.items():
            shapes = {s.name: s.metadata.get("error", {}).get("httpStatusCode", 400)
                      for s in model.operation_model(operation).error_shapes}
            errors = dict(shapes, **COMMON.get(service, {}))
            for code, status in errors.items():
                message = f"{code} forced on {operation} by the boto3 test"
                admin("PUT", "/admin/faults",
                      {"errors": {operation: {"error": code, "message": message}}})
                admin("DELETE", "/admin/calls")
                expect_error(lambda: getattr(c, snake(operation))(**kwargs), code, status, message)
                calls_made = admin("GET", "/admin/calls")
                check(calls_made == {operation: 1}, f"{operation} {code}: {calls_made}")
                checked += 1
    admin("PUT", "/admin/faults", {})
    print(f"    {checked} forced errors checked against botocore's model")


def test_errors_the_emulator_answers_by_itself():
    cc = client("codeconnections", attempts=1)
    expect_error(lambda: cc.get_sync_blocker_summary(ResourceName="no-such-stack", SyncType=SYNC),
                 "ResourceNotFoundException", 404, "Resource no-such-stack does not exist.")
    expect_error(lambda: cc.update_sync_blocker(Id="no-such-blocker", SyncType=SYNC,
                                                ResourceName=STACK, ResolvedReason="x"),
                 "SyncBlockerDoesNotExistException", 404)
    expect_error(lambda: cc.list_repository_links(NextToken="not-a-token"),
                 "InvalidInputException", 400)

    cp = client("codepipeline", attempts=1)
    message = expect_error(lambda: cp.get_pipeline_state(name="no-such-pipeline"),
                           "PipelineNotFoundException", 400)
    check("no-such-pipeline" in message, message)
    expect_error(lambda: cp.list_pipelines(nextToken="not-a-token"),
                 "InvalidNextTokenException", 400)
    unknown_run = "00000000-0000-4000-8000-000000000000"
    message = expect_error(lambda: cp.get_pipeline_execution(
        pipelineName=PIPELINE, pipelineExecutionId=unknown_run),
        "PipelineExecutionNotFoundException", 400)
    check(unknown_run in message, message)
    expect_error(lambda: cp.list_action_executions(
        pipelineName=PIPELINE, filter={"pipelineExecutionId": unknown_run}),
        "PipelineExecutionNotFoundException", 400)
    expect_error(lambda: cp.list_action_executions(pipelineName="no-such-pipeline"),
                 "PipelineNotFoundException", 400)
    expect_error(lambda: cp.list_action_executions(pipelineName=PIPELINE, nextToken="not-a-token"),
                 "InvalidNextTokenException", 400)
    # botocore checks only the minimum of maxResults; the service checks the maximum (100).
    expect_error(lambda: cp.list_action_executions(pipelineName=PIPELINE, maxResults=101),
                 "ValidationException", 400)

    cf = client("cloudformation", attempts=1)
    message = expect_error(lambda: cf.describe_stacks(StackName="no-such-stack"),
                           "ValidationError", 400)
    check("does not exist" in message, message)


def test_a_rate_limit_answers_throttling_and_botocore_retries_it():
    admin("PUT", "/admin/faults",
          {"rate_limits": {"GetResourceSyncStatus": {"per_second": 0.001, "burst": 2}}})
    admin("DELETE", "/admin/calls")
    cc = client("codeconnections", attempts=1)
    for _ in range(2):
        cc.get_resource_sync_status(ResourceName=STACK, SyncType=SYNC)
    expect_error(lambda: cc.get_resource_sync_status(ResourceName=STACK, SyncType=SYNC),
                 "ThrottlingException", 429)
    # With retries, botocore classifies it as throttling and retries (3 attempts in standard
    # mode); every retry is throttled too, because the bucket refills far too slowly.
    admin("DELETE", "/admin/calls")
    retrying = client("codeconnections", attempts=3)
    expect_error(lambda: retrying.get_resource_sync_status(ResourceName=STACK, SyncType=SYNC),
                 "ThrottlingException", 429)
    check(admin("GET", "/admin/calls") == {"GetResourceSyncStatus": 3}, "three attempts")
    admin("PUT", "/admin/faults", {})


def main():
    # It expects the demo scenario (emulator/scenarios/demo.json) and no faults.
    original = admin("GET", "/admin/scenario")
    admin("PUT", "/admin/faults", {})
    failed = 0
    tests = [(name, f) for name, f in globals().items() if name.startswith("test_")]
    try:
        for name, test in tests:
            try:
                test()
                print(f"ok      {name}")
            except Exception:  # every failure is reported, the rest still run
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
    finally:
        admin("PUT", "/admin/faults", {})
        admin("PUT", "/admin/scenario", original)
    print(f"boto3 {boto3.__version__}: {len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
