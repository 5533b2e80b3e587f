//! What one sweep polls: every Git-synced stack, every synced repository branch, every watched
//! pipeline and every connection in use, in one fixed order so a sweep can stop and resume.

use std::collections::BTreeMap;

use crate::globs::PipelineFilter;
use crate::ids::{Branch, ConnectionId, PipelineName, RepositoryLinkId, ResourceId, StackName};
use crate::observe::{LinkInfo, SyncConfigInfo};

/// One thing a sweep polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Git-synced stack: its resource sync status and its blockers.
    Stack { stack: StackName, branch: Branch, repository: String, provider: String },
    /// A repository link's branch: its repository sync status.
    Repository { link: RepositoryLinkId, branch: Branch, repository: String },
    /// A watched pipeline: its latest execution.
    Pipeline(PipelineName),
    /// A connection a repository link uses: its status.
    Connection { arn: String, id: ConnectionId },
}

impl Target {
    /// The resource this target's observations belong to.
    pub fn resource(&self) -> ResourceId {
        match self {
            Target::Stack { stack, .. } => ResourceId::Stack(stack.clone()),
            Target::Repository { link, branch, .. } => {
                ResourceId::Repository { link: link.clone(), branch: branch.clone() }
            }
            Target::Pipeline(name) => ResourceId::Pipeline(name.clone()),
            Target::Connection { id, .. } => ResourceId::Connection(id.clone()),
        }
    }

    /// The sweep order and the resume cursor: the resource id as text.
    pub fn key(&self) -> String {
        self.resource().to_string()
    }
}

/// Every target of one sweep, in key order, each once.
///
/// A stack's repository and provider come from its link; a link without sync configurations
/// contributes nothing (it deploys no stack), and a connection is polled once however many
/// links use it.
pub fn plan(
    links: &[LinkInfo],
    configs: &[SyncConfigInfo],
    pipelines: &[PipelineName],
    filter: &PipelineFilter,
) -> Vec<Target> {
    let links: BTreeMap<&RepositoryLinkId, &LinkInfo> = links.iter().map(|l| (&l.id, l)).collect();
    let mut targets: BTreeMap<String, Target> = BTreeMap::new();
    let mut add = |target: Target| {
        targets.entry(target.key()).or_insert(target);
    };
    for config in configs {
        let Some(link) = links.get(&config.link) else {
            continue;
        };
        add(Target::Stack {
            stack: config.stack.clone(),
            branch: config.branch.clone(),
            repository: link.repository.clone(),
            provider: link.provider.clone(),
        });
        add(Target::Repository {
            link: config.link.clone(),
            branch: config.branch.clone(),
            repository: link.repository.clone(),
        });
        if let Ok(id) = ConnectionId::from_arn(&link.connection_arn) {
            add(Target::Connection { arn: link.connection_arn.clone(), id });
        }
    }
    for pipeline in pipelines.iter().filter(|p| filter.matches(p.as_str())) {
        add(Target::Pipeline(pipeline.clone()));
    }
    targets.into_values().collect()
}

/// The targets a sweep still has to poll: all of them, or those after the resume point.
pub fn remaining<'a>(targets: &'a [Target], resume_after: Option<&str>) -> &'a [Target] {
    match resume_after {
        None => targets,
        Some(key) => {
            let start = targets.partition_point(|t| t.key().as_str() <= key);
            &targets[start..]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn link(id: &str, connection: &str) -> LinkInfo {
        LinkInfo {
            id: RepositoryLinkId::new(id).unwrap(),
            connection_arn: format!(
                "arn:aws:codeconnections:eu-west-1:111122223333:connection/{connection}"
            ),
            repository: "acme/infra".into(),
            provider: "GitHub".into(),
        }
    }

    fn config(stack: &str, link: &str, branch: &str) -> SyncConfigInfo {
        SyncConfigInfo {
            stack: StackName::new(stack).unwrap(),
            link: RepositoryLinkId::new(link).unwrap(),
            branch: Branch::new(branch).unwrap(),
        }
    }

    #[test]
    fn plan_covers_stacks_branches_connections_and_watched_pipelines_once() {
        let links = [link("aaaa", "c1"), link("bbbb", "c1")];
        let configs = [
            config("s2", "aaaa", "main"),
            config("s1", "aaaa", "main"),
            config("s3", "bbbb", "dev"),
        ];
        let pipelines =
            [PipelineName::new("web-release").unwrap(), PipelineName::new("ops").unwrap()];
        let keys: Vec<String> = plan(&links, &configs, &pipelines, &PipelineFilter::parse("web-*"))
            .iter()
            .map(Target::key)
            .collect();
        assert_eq!(
            keys,
            [
                "connection/c1",
                "pipeline/web-release",
                "repository/aaaa@main",
                "repository/bbbb@dev",
                "stack/s1",
                "stack/s2",
                "stack/s3"
            ]
        );
    }

    #[test]
    fn pipeline_filter_patterns() {
        assert!(PipelineFilter::all().matches("anything"));
        let filter = PipelineFilter::parse("payments-release, net*");
        assert!(filter.matches("payments-release") && filter.matches("network-release"));
        assert!(!filter.matches("payments"));
        assert!(!PipelineFilter::parse("").matches("anything"));
    }

    proptest! {
        /// Stopping after any target and resuming covers every target exactly once.
        #[test]
        fn resume_has_no_gaps_and_no_repeats(names in proptest::collection::btree_set("[a-z]{1,8}", 1..30), cut in any::<proptest::sample::Index>()) {
            let configs: Vec<SyncConfigInfo> = names.iter().map(|n| config(n, "aaaa", "main")).collect();
            let targets = plan(&[link("aaaa", "c1")], &configs, &[], &PipelineFilter::all());
            let stop = cut.index(targets.len());
            let first_run = &targets[..=stop];
            let second_run = remaining(&targets, Some(&targets[stop].key()));
            let mut seen: Vec<String> = first_run.iter().chain(second_run).map(Target::key).collect();
            let all: Vec<String> = targets.iter().map(Target::key).collect();
            prop_assert_eq!(&seen, &all);
            seen.dedup();
            prop_assert_eq!(seen.len(), all.len());
        }
    }
}
