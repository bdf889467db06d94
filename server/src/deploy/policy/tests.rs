use super::*;

const NOW: i64 = 1_800_000_000_000;

fn sha(digit: char) -> CommitId {
    CommitId::parse(&digit.to_string().repeat(40)).unwrap()
}

fn policy() -> Policy {
    Policy {
        min_approvals: 1,
        approver_role: TeamRole::Author,
        break_glass_role: TeamRole::Admin,
    }
}

fn alice() -> Person {
    Person::new(1, "alice", &["alice@example.com"])
}
fn bob() -> Person {
    Person::new(2, "bob", &["Bob@Example.com"])
}
fn carol() -> Person {
    Person::new(3, "carol", &["carol@example.com"])
}

fn committed_by(name: &str, email: &str) -> CommitPerson {
    CommitPerson {
        name: name.into(),
        email: email.into(),
    }
}

struct Fixture {
    requester: Person,
    deployed: CommitId,
    candidate: CommitId,
    people: Vec<CommitPerson>,
    status: RequestStatus,
}

impl Fixture {
    /// alice requests a deploy of carol's commit over what the target holds.
    fn new() -> Self {
        Self {
            requester: alice(),
            deployed: sha('a'),
            candidate: sha('b'),
            people: vec![committed_by("carol", "carol@example.com")],
            status: RequestStatus::Pending,
        }
    }

    fn facts(&self) -> RequestFacts<'_> {
        RequestFacts {
            status: self.status,
            requester: &self.requester,
            deployed: Some(&self.deployed),
            candidate: &self.candidate,
            commit_people: &self.people,
            expires_at_ms: NOW + 1000,
        }
    }

    fn review(&self, person: &Person, role: TeamRole) -> Result<(), Refusal> {
        self.review_with(person, Some(role), &AuthorAliases::default(), &[])
    }

    fn review_with(
        &self,
        person: &Person,
        role: Option<TeamRole>,
        aliases: &AuthorAliases,
        approvals: &[GivenApproval],
    ) -> Result<(), Refusal> {
        policy().check_review(
            &self.facts(),
            approvals,
            Reviewer { person, role },
            aliases,
            NOW,
            Some(&self.deployed),
        )
    }
}

#[test]
fn a_peer_with_the_approver_role_may_approve() {
    assert_eq!(Fixture::new().review(&bob(), TeamRole::Author), Ok(()));
    assert_eq!(Fixture::new().review(&bob(), TeamRole::Admin), Ok(()));
}

#[test]
fn the_requester_cannot_approve_their_own_request() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture.review(&alice(), TeamRole::Admin),
        Err(Refusal::OwnRequest)
    );
}

#[test]
fn identity_is_the_user_not_the_session_or_the_name() {
    let fixture = Fixture::new();
    // The requester from a second session, renamed at the identity provider since, or
    // reached through an API token: the same user id, so the same refusal.
    let renamed = Person::new(1, "Alice Smith", &["alice@example.com"]);
    assert_eq!(
        fixture.review(&renamed, TeamRole::Admin),
        Err(Refusal::OwnRequest)
    );
    // Someone else who happens to carry the requester's display name is a peer.
    let namesake = Person::new(9, "alice", &["alice.other@example.com"]);
    assert_eq!(fixture.review(&namesake, TeamRole::Author), Ok(()));
}

#[test]
fn an_author_of_an_included_commit_cannot_approve() {
    let fixture = Fixture::new();
    assert_eq!(
        fixture.review(&carol(), TeamRole::Admin),
        Err(Refusal::NamedOnCommit {
            email: "carol@example.com".into()
        })
    );
}

#[test]
fn authors_match_without_case_and_committers_count_as_authors() {
    let mut fixture = Fixture::new();
    fixture.people = vec![
        committed_by("carol", "carol@example.com"),
        committed_by("Bob B", "BOB@example.COM"),
    ];
    assert_eq!(
        fixture.review(&bob(), TeamRole::Author),
        Err(Refusal::NamedOnCommit {
            email: "BOB@example.COM".into()
        })
    );
}

#[test]
fn a_mapped_git_address_counts_as_its_owner() {
    let mut fixture = Fixture::new();
    fixture.people = vec![committed_by("bob", "1234+bob@users.noreply.github.com")];
    assert_eq!(
        fixture.review(&bob(), TeamRole::Author),
        Ok(()),
        "unmapped: a stranger"
    );
    let aliases = AuthorAliases::new([("1234+BOB@users.noreply.github.com", "bob@example.com")]);
    assert!(matches!(
        fixture.review_with(&bob(), Some(TeamRole::Author), &aliases, &[]),
        Err(Refusal::NamedOnCommit { .. })
    ));
}

#[test]
fn a_reviewer_without_a_verified_email_cannot_approve() {
    let unverified = Person::new(4, "dave", &[]);
    assert_eq!(
        Fixture::new().review(&unverified, TeamRole::Admin),
        Err(Refusal::NoVerifiedEmail)
    );
}

#[test]
fn reviewing_needs_membership_and_the_approver_role() {
    let fixture = Fixture::new();
    let aliases = AuthorAliases::default();
    assert_eq!(
        fixture.review_with(&bob(), None, &aliases, &[]),
        Err(Refusal::NotAMember)
    );
    for role in [TeamRole::Viewer, TeamRole::Operator] {
        assert_eq!(
            fixture.review(&bob(), role),
            Err(Refusal::RoleTooLow {
                needed: TeamRole::Author
            })
        );
    }
}

#[test]
fn nobody_approves_twice() {
    let given = [GivenApproval {
        user_id: 2,
        name: "bob".into(),
    }];
    assert_eq!(
        Fixture::new().review_with(
            &bob(),
            Some(TeamRole::Author),
            &AuthorAliases::default(),
            &given
        ),
        Err(Refusal::AlreadyApproved)
    );
}

#[test]
fn only_a_pending_request_is_reviewed() {
    for status in RequestStatus::ALL {
        let mut fixture = Fixture::new();
        fixture.status = status;
        let outcome = fixture.review(&bob(), TeamRole::Author);
        match status {
            RequestStatus::Pending => assert_eq!(outcome, Ok(())),
            RequestStatus::Approved => assert_eq!(outcome, Err(Refusal::AlreadyApprovedEnough)),
            other => assert_eq!(outcome, Err(Refusal::NotOpen(other))),
        }
    }
}

#[test]
fn approvals_bind_to_the_deployed_commit_the_request_was_made_against() {
    let fixture = Fixture::new();
    let facts = fixture.facts();
    let review = |deployed_now: Option<&CommitId>| {
        policy().check_review(
            &facts,
            &[],
            Reviewer {
                person: &bob(),
                role: Some(TeamRole::Author),
            },
            &AuthorAliases::default(),
            NOW,
            deployed_now,
        )
    };
    // Another deploy or a manual push moved the target.
    assert_eq!(
        review(Some(&sha('c'))),
        Err(Refusal::Stale {
            expected: Some(sha('a')),
            actual: Some(sha('c'))
        })
    );
    // The target was emptied.
    assert!(matches!(
        review(None),
        Err(Refusal::Stale { actual: None, .. })
    ));
    assert_eq!(review(Some(&sha('a'))), Ok(()));
}

#[test]
fn a_request_expires() {
    let fixture = Fixture::new();
    let mut facts = fixture.facts();
    facts.expires_at_ms = NOW;
    assert_eq!(
        policy().check_review(
            &facts,
            &[],
            Reviewer {
                person: &bob(),
                role: Some(TeamRole::Author)
            },
            &AuthorAliases::default(),
            NOW,
            Some(&fixture.deployed),
        ),
        Err(Refusal::Expired)
    );
}

#[test]
fn a_deploy_runs_only_when_approved_and_current() {
    let mut fixture = Fixture::new();
    let one = [GivenApproval {
        user_id: 2,
        name: "bob".into(),
    }];
    let deployed = fixture.deployed.clone();
    assert_eq!(
        policy().check_deploy(&fixture.facts(), &[], NOW, Some(&deployed)),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
    fixture.status = RequestStatus::Approved;
    assert_eq!(
        policy().check_deploy(&fixture.facts(), &one, NOW, Some(&deployed)),
        Ok(())
    );
    // A status that says approved is not enough: the approvals must be there.
    assert_eq!(
        policy().check_deploy(&fixture.facts(), &[], NOW, Some(&deployed)),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
    assert!(matches!(
        policy().check_deploy(&fixture.facts(), &one, NOW, Some(&sha('c'))),
        Err(Refusal::Stale { .. })
    ));
    // A failed deploy may be retried; a finished or withdrawn one may not.
    fixture.status = RequestStatus::Failed;
    assert_eq!(
        policy().check_deploy(&fixture.facts(), &one, NOW, Some(&deployed)),
        Ok(())
    );
    for status in [
        RequestStatus::Deployed,
        RequestStatus::Cancelled,
        RequestStatus::Rejected,
        RequestStatus::Stale,
    ] {
        fixture.status = status;
        assert_eq!(
            policy().check_deploy(&fixture.facts(), &one, NOW, Some(&deployed)),
            Err(Refusal::NotOpen(status))
        );
    }
}

#[test]
fn two_approvals_need_two_people() {
    let two = Policy {
        min_approvals: 2,
        ..policy()
    };
    let one = [GivenApproval {
        user_id: 2,
        name: "bob".into(),
    }];
    assert_eq!(two.missing(&one), 1);
    assert_eq!(two.missing(&[]), 2);
    let mut fixture = Fixture::new();
    fixture.status = RequestStatus::Approved;
    assert_eq!(
        two.check_deploy(&fixture.facts(), &one, NOW, Some(&fixture.deployed.clone())),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
}

#[test]
fn break_glass_needs_the_role_a_reason_and_a_fresh_sign_in() {
    let p = policy();
    let reason = "payments DAG is down in production";
    assert_eq!(
        p.check_break_glass(Some(TeamRole::Admin), reason, Some(NOW - 1000), NOW),
        Ok(())
    );
    assert_eq!(
        p.check_break_glass(Some(TeamRole::Author), reason, Some(NOW), NOW),
        Err(Refusal::RoleTooLow {
            needed: TeamRole::Admin
        })
    );
    assert_eq!(
        p.check_break_glass(None, reason, Some(NOW), NOW),
        Err(Refusal::NotAMember)
    );
    assert_eq!(
        p.check_break_glass(Some(TeamRole::Admin), "   urgent   ", Some(NOW), NOW),
        Err(Refusal::ReasonTooShort)
    );
    for reauth in [
        None,
        Some(NOW - BREAK_GLASS_REAUTH_WINDOW_MS - 1),
        Some(NOW + 60_000),
    ] {
        assert_eq!(
            p.check_break_glass(Some(TeamRole::Admin), reason, reauth, NOW),
            Err(Refusal::NotReauthenticated),
            "re-authenticated at {reauth:?}"
        );
    }
}

#[test]
fn a_break_glass_deploy_is_reviewed_afterwards_by_someone_else() {
    let p = policy();
    let deployer = Person::new(5, "erin", &["erin@example.com"]);
    let people = [committed_by("carol", "carol@example.com")];
    let none = AuthorAliases::default();
    let review = |person: &Person| {
        p.check_reviewer(
            &deployer,
            &people,
            Reviewer {
                person,
                role: Some(TeamRole::Author),
            },
            &none,
        )
    };
    assert_eq!(review(&deployer), Err(Refusal::OwnRequest));
    assert!(matches!(
        review(&carol()),
        Err(Refusal::NamedOnCommit { .. })
    ));
    assert_eq!(review(&bob()), Ok(()));
}

#[test]
fn only_the_requester_cancels_an_open_request() {
    let mut fixture = Fixture::new();
    assert_eq!(check_cancel(&fixture.facts(), &alice()), Ok(()));
    assert_eq!(
        check_cancel(&fixture.facts(), &bob()),
        Err(Refusal::NotRequester)
    );
    fixture.status = RequestStatus::Deployed;
    assert_eq!(
        check_cancel(&fixture.facts(), &alice()),
        Err(Refusal::NotOpen(RequestStatus::Deployed))
    );
}

#[test]
fn the_policy_state_reads_as_a_sentence() {
    let mut fixture = Fixture::new();
    fixture
        .people
        .push(committed_by("alice", "alice@example.com"));
    fixture
        .people
        .push(committed_by("carol", "carol@example.com"));
    assert_eq!(
        policy().describe(&fixture.facts(), &[]),
        "needs 1 more approval from a team author or above other than alice and the commit authors (carol)"
    );
    fixture.people.clear();
    let two = Policy {
        min_approvals: 2,
        ..policy()
    };
    assert_eq!(
        two.describe(&fixture.facts(), &[]),
        "needs 2 more approvals from a team author or above other than alice"
    );
    assert_eq!(
        policy().describe(
            &fixture.facts(),
            &[GivenApproval {
                user_id: 2,
                name: "bob".into()
            }]
        ),
        "approved by bob"
    );
}

#[test]
fn statuses_round_trip_through_their_names() {
    for status in RequestStatus::ALL {
        assert_eq!(RequestStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(RequestStatus::parse("approved; drop table"), None);
}

#[test]
fn refusals_say_what_to_do() {
    let stale = Refusal::Stale {
        expected: Some(sha('a')),
        actual: None,
    };
    assert_eq!(
        stale.to_string(),
        "the target moved from aaaaaaaaaa to nothing since this deploy was requested; request it again"
    );
    assert!(Refusal::NoVerifiedEmail.to_string().contains("verified"));
}
