use super::*;

const NOW: i64 = 1_800_000_000_000;

fn sha(digit: char) -> CommitId {
    CommitId::parse(&digit.to_string().repeat(40)).unwrap()
}

fn policy(authorship: Authorship) -> Policy {
    Policy {
        min_approvals: 1,
        approver_role: TeamRole::Author,
        break_glass_role: TeamRole::Admin,
        authorship,
    }
}

fn emails() -> Policy {
    policy(Authorship::Emails)
}

fn signatures() -> Policy {
    policy(Authorship::Signatures)
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
fn dave() -> Person {
    Person::new(4, "dave", &["dave@example.com"])
}

fn owner(person: &Person) -> Owner {
    Owner {
        user_id: person.user_id,
        name: person.name.clone(),
    }
}

fn named(role: NamedAs, name: &str, email: &str) -> CommitPerson {
    CommitPerson {
        role,
        name: name.into(),
        email: email.into(),
    }
}

/// A commit written and committed by `name` <`email`>, signed as `signature` says.
fn commit(digit: char, name: &str, email: &str, signature: Signature) -> IncludedCommit {
    IncludedCommit {
        id: sha(digit),
        people: vec![
            named(NamedAs::Author, name, email),
            named(NamedAs::Committer, name, email),
        ],
        signature,
    }
}

fn signed_by(person: &Person) -> Signature {
    Signature::Good {
        fingerprint: format!("SHA256:key-of-{}", person.name),
        owner: owner(person),
    }
}

/// Every verified e-mail of these people, as the users table holds them.
fn directory(people: &[&Person]) -> Directory {
    Directory::new(people.iter().flat_map(|person| {
        person
            .verified_emails
            .iter()
            .map(|email| (email.clone(), owner(person)))
    }))
}

struct Fixture {
    policy: Policy,
    requester: Person,
    token_holders: Vec<TokenHolder>,
    deployed: CommitId,
    candidate: CommitId,
    commits: Vec<IncludedCommit>,
    directory: Directory,
    aliases: AuthorAliases,
    status: RequestStatus,
    outside_files: usize,
}

impl Fixture {
    /// alice requests a deploy of carol's commit (signed by carol in signatures mode) over
    /// what the target holds; everyone has signed in with their e-mail.
    fn new(policy: Policy) -> Self {
        let signature = match policy.authorship {
            Authorship::Signatures => signed_by(&carol()),
            Authorship::Emails => Signature::Unchecked,
        };
        Self {
            policy,
            requester: alice(),
            token_holders: Vec::new(),
            deployed: sha('a'),
            candidate: sha('b'),
            commits: vec![commit('c', "carol", "carol@example.com", signature)],
            directory: directory(&[&alice(), &bob(), &carol(), &dave()]),
            aliases: AuthorAliases::default(),
            status: RequestStatus::Pending,
            outside_files: 0,
        }
    }

    fn authors(&self) -> Authors {
        self.policy
            .authors(&self.commits, &self.aliases, &self.directory)
    }

    fn with<T>(&self, body: impl FnOnce(&RequestFacts<'_>) -> T) -> T {
        let authors = self.authors();
        body(&RequestFacts {
            status: self.status,
            requester: &self.requester,
            token_holders: &self.token_holders,
            deployed: Some(&self.deployed),
            candidate: &self.candidate,
            authors: &authors,
            expires_at_ms: NOW + 1000,
            outside_files: self.outside_files,
        })
    }

    fn review(&self, person: &Person, role: TeamRole) -> Result<(), Refusal> {
        self.review_with(person, Some(role), &[])
    }

    fn review_with(
        &self,
        person: &Person,
        role: Option<TeamRole>,
        approvals: &[GivenApproval],
    ) -> Result<(), Refusal> {
        self.with(|facts| {
            self.policy.check_review(
                facts,
                approvals,
                Reviewer { person, role },
                NOW,
                Some(&self.deployed),
            )
        })
    }

    fn describe(&self, approvals: &[GivenApproval]) -> String {
        self.with(|facts| self.policy.describe(facts, approvals))
    }

    fn deploy(&self, approvals: &[Reviewer<'_>]) -> Result<(), Refusal> {
        self.with(|facts| {
            self.policy
                .check_deploy(facts, approvals, NOW, Some(&self.deployed))
        })
    }
}

fn approved_by(person: &Person) -> GivenApproval {
    GivenApproval {
        user_id: person.user_id,
        name: person.name.clone(),
    }
}

// Who may review: the rules both modes share.

#[test]
fn a_peer_with_the_approver_role_may_approve() {
    for policy in [emails(), signatures()] {
        let fixture = Fixture::new(policy);
        assert_eq!(fixture.review(&bob(), TeamRole::Author), Ok(()));
        assert_eq!(fixture.review(&bob(), TeamRole::Admin), Ok(()));
    }
}

#[test]
fn the_requester_cannot_approve_their_own_request() {
    for policy in [emails(), signatures()] {
        let fixture = Fixture::new(policy);
        assert_eq!(
            fixture.review(&alice(), TeamRole::Admin),
            Err(Refusal::OwnRequest)
        );
    }
}

#[test]
fn identity_is_the_user_not_the_session_or_the_name() {
    let fixture = Fixture::new(emails());
    // The requester from a second session or renamed at the identity provider since: the
    // same user id, so the same refusal.
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
fn reviewing_needs_membership_and_the_approver_role() {
    let fixture = Fixture::new(emails());
    assert_eq!(
        fixture.review_with(&bob(), None, &[]),
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
    let fixture = Fixture::new(emails());
    assert_eq!(
        fixture.review_with(&bob(), Some(TeamRole::Author), &[approved_by(&bob())]),
        Err(Refusal::AlreadyApproved)
    );
}

#[test]
fn only_a_pending_request_is_reviewed() {
    for status in RequestStatus::ALL {
        let mut fixture = Fixture::new(emails());
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
    let fixture = Fixture::new(emails());
    let review = |deployed_now: Option<&CommitId>| {
        fixture.with(|facts| {
            emails().check_review(
                facts,
                &[],
                Reviewer {
                    person: &bob(),
                    role: Some(TeamRole::Author),
                },
                NOW,
                deployed_now,
            )
        })
    };
    // Another deploy or a manual push moved the target.
    assert_eq!(
        review(Some(&sha('e'))),
        Err(Refusal::Stale {
            expected: Some(sha('a')),
            actual: Some(sha('e'))
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
    let fixture = Fixture::new(emails());
    let outcome = fixture.with(|facts| {
        let mut facts = facts.clone();
        facts.expires_at_ms = NOW;
        emails().check_review(
            &facts,
            &[],
            Reviewer {
                person: &bob(),
                role: Some(TeamRole::Author),
            },
            NOW,
            Some(&fixture.deployed),
        )
    });
    assert_eq!(outcome, Err(Refusal::Expired));
}

// A token's request is its holders'.

#[test]
fn whoever_created_or_last_rotated_the_requesting_token_cannot_approve() {
    for policy in [emails(), signatures()] {
        let mut fixture = Fixture::new(policy);
        // The token's own user requested; bob made the token, dave last rotated it.
        fixture.requester = Person::new(50, "API token \"ci\"", &[]);
        fixture.token_holders = vec![
            TokenHolder {
                person: owner(&bob()),
                holds: TokenHolding::Created,
            },
            TokenHolder {
                person: owner(&dave()),
                holds: TokenHolding::Rotated,
            },
        ];
        assert_eq!(
            fixture.review(&bob(), TeamRole::Admin),
            Err(Refusal::TokenHolder(TokenHolding::Created))
        );
        assert_eq!(
            fixture.review(&dave(), TeamRole::Admin),
            Err(Refusal::TokenHolder(TokenHolding::Rotated))
        );
        // Anyone else but the commit's author may.
        assert_eq!(fixture.review(&alice(), TeamRole::Author), Ok(()));
        assert!(fixture.review(&carol(), TeamRole::Author).is_err());
    }
}

// Emails mode: the people are whoever the commit names.

#[test]
fn an_author_of_an_included_commit_cannot_approve() {
    let fixture = Fixture::new(emails());
    assert_eq!(
        fixture.review(&carol(), TeamRole::Admin),
        Err(Refusal::NamedOnCommit {
            email: "carol@example.com".into()
        })
    );
}

#[test]
fn authors_match_without_case_and_committers_count_as_authors() {
    let mut fixture = Fixture::new(emails());
    fixture.commits[0].people = vec![
        named(NamedAs::Author, "carol", "carol@example.com"),
        named(NamedAs::Committer, "Bob B", "BOB@example.COM"),
    ];
    assert_eq!(
        fixture.review(&bob(), TeamRole::Author),
        Err(Refusal::NamedOnCommit {
            email: "BOB@example.COM".into()
        })
    );
}

#[test]
fn a_co_author_counts_as_an_author() {
    let mut fixture = Fixture::new(emails());
    fixture.commits[0]
        .people
        .push(named(NamedAs::CoAuthor, "Bob", "bob@example.com"));
    assert!(matches!(
        fixture.review(&bob(), TeamRole::Author),
        Err(Refusal::NamedOnCommit { .. })
    ));
    assert!(
        fixture
            .describe(&[])
            .contains("the commit authors (bob, carol)")
    );
}

#[test]
fn every_verified_email_a_person_ever_signed_in_with_counts() {
    let mut fixture = Fixture::new(emails());
    // bob signed in once with an old address; his commit uses it, and he now signs in with
    // another one.
    let bob_now = Person::new(2, "bob", &["bob@new.example.com", "bob@old.example.com"]);
    fixture.directory = directory(&[&alice(), &bob_now, &carol()]);
    fixture.commits[0].people = vec![named(NamedAs::Author, "bob", "bob@old.example.com")];
    assert_eq!(
        fixture.review(&bob_now, TeamRole::Author),
        Err(Refusal::NamedOnCommit {
            email: "bob@old.example.com".into()
        })
    );
    // Even if the directory was read before that sign-in, his own addresses name him.
    fixture.directory = directory(&[&alice(), &carol()]);
    assert!(matches!(
        fixture.review(&bob_now, TeamRole::Author),
        Err(Refusal::NamedOnCommit { .. })
    ));
}

#[test]
fn a_mapped_git_address_counts_as_its_owner() {
    let mut fixture = Fixture::new(emails());
    fixture.commits[0].people = vec![named(
        NamedAs::Author,
        "bob",
        "1234+bob@users.noreply.github.com",
    )];
    assert!(fixture.authors().unknown.len() == 1, "unmapped: a stranger");
    assert_eq!(fixture.review(&bob(), TeamRole::Author), Ok(()));
    fixture.aliases =
        AuthorAliases::new([("1234+BOB@users.noreply.github.com", "bob@example.com")]);
    assert!(matches!(
        fixture.review(&bob(), TeamRole::Author),
        Err(Refusal::NamedOnCommit { .. })
    ));
    assert!(fixture.authors().unknown.is_empty());
}

#[test]
fn an_email_nobody_owns_needs_one_more_approval_and_is_named() {
    let mut fixture = Fixture::new(emails());
    // carol commits under an address no Hangar user has signed in with.
    fixture.commits[0].people = vec![
        named(NamedAs::Author, "carol", "made-up@example.net"),
        named(NamedAs::Committer, "carol", "made-up@example.net"),
    ];
    let authors = fixture.authors();
    assert_eq!(authors.unknown, vec!["made-up@example.net".to_string()]);
    assert_eq!(fixture.policy.required(&authors), 2);
    assert_eq!(
        fixture.describe(&[]),
        "needs 2 more approvals from a team author or above other than alice; \
         unknown author (made-up@example.net): one approval more than usual"
    );
    assert_eq!(
        fixture.describe(&[approved_by(&carol())]),
        "needs 1 more approval from a team author or above other than alice; \
         unknown author (made-up@example.net): one approval more than usual"
    );
    // Two unknown addresses still ask for one more, not two.
    fixture
        .commits
        .push(commit('d', "x", "ghost@example.org", Signature::Unchecked));
    assert_eq!(fixture.policy.required(&fixture.authors()), 2);
    // An approved request with one approval does not deploy.
    fixture.status = RequestStatus::Approved;
    assert_eq!(
        fixture.deploy(&[Reviewer {
            person: &bob(),
            role: Some(TeamRole::Author)
        }]),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
}

#[test]
fn a_reviewer_without_a_verified_email_cannot_approve_in_emails_mode() {
    let unverified = Person::new(7, "una", &[]);
    assert_eq!(
        Fixture::new(emails()).review(&unverified, TeamRole::Admin),
        Err(Refusal::NoVerifiedEmail)
    );
    // With signatures, identity comes from keys: no e-mail needed.
    assert_eq!(
        Fixture::new(signatures()).review(&unverified, TeamRole::Admin),
        Ok(())
    );
}

// Signatures mode: the people are the owners of the signing keys.

#[test]
fn with_signatures_the_key_owner_is_the_author_whatever_the_commit_says() {
    let mut fixture = Fixture::new(signatures());
    // carol commits under bob's e-mail, signed with her own key: she is the author.
    fixture.commits = vec![commit('c', "bob", "bob@example.com", signed_by(&carol()))];
    assert_eq!(
        fixture.review(&carol(), TeamRole::Author),
        Err(Refusal::SignedCommit {
            commit: sha('c'),
            fingerprint: "SHA256:key-of-carol".into()
        })
    );
    // bob, whose e-mail carol typed, may review it.
    assert_eq!(fixture.review(&bob(), TeamRole::Author), Ok(()));
    assert_eq!(
        fixture.describe(&[]),
        "needs 1 more approval from a team author or above other than alice and the commit \
         authors (carol)"
    );
}

#[test]
fn an_unsigned_bad_or_unknown_signature_makes_the_request_unreviewable() {
    for (signature, why) in [
        (Signature::Unsigned, "commit cccccccccc is not signed"),
        (
            Signature::Bad,
            "commit cccccccccc carries a signature that does not verify",
        ),
        (
            Signature::UnknownKey {
                fingerprint: "SHA256:stranger".into(),
            },
            "commit cccccccccc is signed with key SHA256:stranger, which no Hangar user has \
             registered",
        ),
        (
            Signature::RevokedKey {
                fingerprint: "SHA256:old".into(),
            },
            "commit cccccccccc is signed with key SHA256:old, which its owner has revoked",
        ),
        (
            Signature::Unchecked,
            "commit cccccccccc was not checked for a signature (the team trusted e-mails when \
             it was requested)",
        ),
    ] {
        let mut fixture = Fixture::new(signatures());
        fixture.commits = vec![
            commit('d', "dave", "dave@example.com", signed_by(&dave())),
            commit('c', "carol", "carol@example.com", signature),
        ];
        let authors = fixture.authors();
        let unreviewable = authors.unreviewable.clone().expect("unreviewable");
        assert_eq!(unreviewable.commit, sha('c'));
        assert_eq!(unreviewable.to_string(), why);
        // Nobody may approve it, whatever their role.
        for person in [bob(), carol(), dave()] {
            assert_eq!(
                fixture.review(&person, TeamRole::Admin),
                Err(Refusal::Unreviewable(unreviewable.clone())),
                "{}",
                person.name
            );
        }
        let sentence = fixture.describe(&[]);
        assert!(
            sentence.starts_with(&format!("unreviewable: {why}")),
            "{sentence}"
        );
        assert!(sentence.contains("break glass"), "{sentence}");
        // Nor deploy it, even with approvals given before.
        fixture.status = RequestStatus::Approved;
        assert!(matches!(
            fixture.deploy(&[Reviewer {
                person: &bob(),
                role: Some(TeamRole::Author)
            }]),
            Err(Refusal::Unreviewable(_))
        ));
    }
}

#[test]
fn an_email_mode_request_ignores_signatures() {
    let mut fixture = Fixture::new(emails());
    fixture.commits[0].signature = Signature::Unsigned;
    assert!(fixture.authors().unreviewable.is_none());
    assert_eq!(fixture.review(&bob(), TeamRole::Author), Ok(()));
}

#[test]
fn with_signatures_a_co_author_trailer_is_only_words() {
    let mut fixture = Fixture::new(signatures());
    fixture.commits[0]
        .people
        .push(named(NamedAs::CoAuthor, "bob", "bob@example.com"));
    // The key owner wrote it; the trailer proves nothing either way.
    assert_eq!(fixture.review(&bob(), TeamRole::Author), Ok(()));
}

// Files a ref target receives beyond the team's paths.

#[test]
fn files_outside_the_paths_must_be_opened_before_approving() {
    assert_eq!(check_outside_opened(0, false), Ok(()));
    assert_eq!(check_outside_opened(3, true), Ok(()));
    assert_eq!(
        check_outside_opened(3, false),
        Err(Refusal::OutsideNotOpened { files: 3 })
    );
    assert!(
        Refusal::OutsideNotOpened { files: 3 }
            .to_string()
            .contains("3 files outside the team's paths")
    );
}

#[test]
fn a_team_may_refuse_candidates_that_change_files_outside_its_paths() {
    let outside = vec!["team_b/x.py".to_string(), "setup.py".to_string()];
    assert_eq!(check_outside_paths(OutsidePaths::Review, &outside), Ok(()));
    assert_eq!(check_outside_paths(OutsidePaths::Refuse, &[]), Ok(()));
    let refused = check_outside_paths(OutsidePaths::Refuse, &outside).unwrap_err();
    assert_eq!(
        refused,
        Refusal::OutsidePathsRefused {
            files: 2,
            first: "team_b/x.py".into()
        }
    );
    assert!(refused.to_string().contains("team_b/x.py"), "{refused}");
}

// Deploying: the one check in front of every deploy, from current facts.

#[test]
fn a_deploy_runs_only_when_approved_and_current() {
    let mut fixture = Fixture::new(emails());
    let bob = bob();
    let one = [Reviewer {
        person: &bob,
        role: Some(TeamRole::Author),
    }];
    assert_eq!(
        fixture.deploy(&[]),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
    fixture.status = RequestStatus::Approved;
    assert_eq!(fixture.deploy(&one), Ok(()));
    // A status that says approved is not enough: the approvals must be there.
    assert_eq!(
        fixture.deploy(&[]),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
    let moved = fixture.with(|facts| emails().check_deploy(facts, &one, NOW, Some(&sha('e'))));
    assert!(matches!(moved, Err(Refusal::Stale { .. })));
    // A failed deploy may be retried; a finished or withdrawn one may not.
    fixture.status = RequestStatus::Failed;
    assert_eq!(fixture.deploy(&one), Ok(()));
    for status in [
        RequestStatus::Deployed,
        RequestStatus::Cancelled,
        RequestStatus::Rejected,
        RequestStatus::Stale,
    ] {
        fixture.status = status;
        assert_eq!(fixture.deploy(&one), Err(Refusal::NotOpen(status)));
    }
}

#[test]
fn an_approver_who_lost_the_role_no_longer_counts_at_deploy_time() {
    let mut fixture = Fixture::new(emails());
    fixture.status = RequestStatus::Approved;
    let bob = bob();
    // bob approved as an author; his stored groups now give him viewer.
    let demoted = [Reviewer {
        person: &bob,
        role: Some(TeamRole::Viewer),
    }];
    let refusal = fixture.deploy(&demoted).unwrap_err();
    assert_eq!(
        refusal,
        Refusal::NoLongerApproved {
            missing: 1,
            void: vec![VoidApproval {
                user_id: 2,
                name: "bob".into(),
                reason: "they no longer hold the author role or above".into(),
            }],
        }
    );
    assert!(
        refusal
            .to_string()
            .contains("bob's approval no longer counts: they no longer hold the author role or above; the deploy needs 1 more approval"),
        "{refusal}"
    );
    // Out of the team altogether.
    let gone = [Reviewer {
        person: &bob,
        role: None,
    }];
    assert!(matches!(
        fixture.deploy(&gone),
        Err(Refusal::NoLongerApproved { missing: 1, .. })
    ));
    // Another valid approval is enough.
    let dave = dave();
    let two = [
        demoted[0],
        Reviewer {
            person: &dave,
            role: Some(TeamRole::Admin),
        },
    ];
    assert_eq!(fixture.deploy(&two), Ok(()));
}

#[test]
fn an_approver_whose_identity_now_matches_an_author_no_longer_counts() {
    let mut fixture = Fixture::new(emails());
    fixture.status = RequestStatus::Approved;
    fixture.commits[0].people = vec![named(NamedAs::Author, "x", "bob.second@example.com")];
    // bob approved; since then he signed in with the commit's address.
    let bob_now = Person::new(2, "bob", &["bob@example.com", "bob.second@example.com"]);
    fixture.directory = directory(&[&alice(), &bob_now, &carol()]);
    let refusal = fixture
        .deploy(&[Reviewer {
            person: &bob_now,
            role: Some(TeamRole::Author),
        }])
        .unwrap_err();
    assert!(
        matches!(&refusal, Refusal::NoLongerApproved { void, .. } if void[0].user_id == 2),
        "{refusal:?}"
    );
}

#[test]
fn two_approvals_need_two_people() {
    let mut fixture = Fixture::new(Policy {
        min_approvals: 2,
        ..emails()
    });
    let authors = fixture.authors();
    assert_eq!(fixture.policy.missing(&authors, &[approved_by(&bob())]), 1);
    assert_eq!(fixture.policy.missing(&authors, &[]), 2);
    fixture.status = RequestStatus::Approved;
    let bob = bob();
    assert_eq!(
        fixture.deploy(&[Reviewer {
            person: &bob,
            role: Some(TeamRole::Author)
        }]),
        Err(Refusal::NotYetApproved { missing: 1 })
    );
}

// Break glass.

#[test]
fn break_glass_needs_the_role_a_reason_and_a_fresh_sign_in() {
    let p = emails();
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
fn restarting_a_failed_break_glass_deploy_is_breaking_glass_again() {
    let p = emails();
    assert_eq!(
        p.check_break_glass_retry(Some(TeamRole::Admin), Some(NOW - 1000), NOW),
        Ok(())
    );
    // An author (who may retry an ordinary failed deploy) may not.
    assert_eq!(
        p.check_break_glass_retry(Some(TeamRole::Author), Some(NOW), NOW),
        Err(Refusal::RoleTooLow {
            needed: TeamRole::Admin
        })
    );
    assert_eq!(
        p.check_break_glass_retry(Some(TeamRole::Admin), None, NOW),
        Err(Refusal::NotReauthenticated)
    );
    assert_eq!(
        p.check_break_glass_retry(
            Some(TeamRole::Admin),
            Some(NOW - BREAK_GLASS_REAUTH_WINDOW_MS - 1),
            NOW
        ),
        Err(Refusal::NotReauthenticated)
    );
}

#[test]
fn a_break_glass_deploy_is_reviewed_afterwards_by_someone_else() {
    let mut fixture = Fixture::new(signatures());
    fixture.requester = Person::new(5, "erin", &["erin@example.com"]);
    let erin = fixture.requester.clone();
    let review = |person: &Person| {
        fixture.with(|facts| {
            fixture.policy.check_reviewer(
                facts,
                Reviewer {
                    person,
                    role: Some(TeamRole::Author),
                },
            )
        })
    };
    assert_eq!(review(&erin), Err(Refusal::OwnRequest));
    assert!(matches!(
        review(&carol()),
        Err(Refusal::SignedCommit { .. })
    ));
    assert_eq!(review(&bob()), Ok(()));
}

#[test]
fn an_unsigned_break_glass_deploy_can_still_be_reviewed_afterwards() {
    let mut fixture = Fixture::new(signatures());
    fixture.requester = Person::new(5, "erin", &["erin@example.com"]);
    fixture
        .commits
        .push(commit('d', "x", "x@example.com", Signature::Unsigned));
    let afterwards = |person: &Person| {
        fixture.with(|facts| {
            fixture.policy.check_reviewer_afterwards(
                facts,
                Reviewer {
                    person,
                    role: Some(TeamRole::Author),
                },
            )
        })
    };
    // Before it went out nobody could approve it; afterwards someone else reviews it.
    assert!(matches!(
        fixture.review(&bob(), TeamRole::Author),
        Err(Refusal::Unreviewable(_))
    ));
    assert_eq!(afterwards(&bob()), Ok(()));
    assert_eq!(
        afterwards(&fixture.requester.clone()),
        Err(Refusal::OwnRequest)
    );
    assert!(matches!(
        afterwards(&carol()),
        Err(Refusal::SignedCommit { .. })
    ));
}

#[test]
fn only_the_requester_cancels_an_open_request() {
    let mut fixture = Fixture::new(emails());
    assert_eq!(fixture.with(|f| check_cancel(f, &alice())), Ok(()));
    assert_eq!(
        fixture.with(|f| check_cancel(f, &bob())),
        Err(Refusal::NotRequester)
    );
    fixture.status = RequestStatus::Deployed;
    assert_eq!(
        fixture.with(|f| check_cancel(f, &alice())),
        Err(Refusal::NotOpen(RequestStatus::Deployed))
    );
}

// Words.

#[test]
fn the_policy_state_reads_as_a_sentence() {
    let mut fixture = Fixture::new(emails());
    fixture.commits.push(commit(
        'd',
        "alice",
        "alice@example.com",
        Signature::Unchecked,
    ));
    assert_eq!(
        fixture.describe(&[]),
        "needs 1 more approval from a team author or above other than alice and the commit \
         authors (carol)"
    );
    fixture.commits.clear();
    fixture.policy.min_approvals = 2;
    assert_eq!(
        fixture.describe(&[]),
        "needs 2 more approvals from a team author or above other than alice"
    );
    fixture.policy.min_approvals = 1;
    assert_eq!(fixture.describe(&[approved_by(&bob())]), "approved by bob");
}

#[test]
fn a_token_request_names_the_token_and_its_holders() {
    let mut fixture = Fixture::new(emails());
    fixture.requester = Person::new(50, "API token “ci”", &[]);
    fixture.token_holders = vec![
        TokenHolder {
            person: owner(&bob()),
            holds: TokenHolding::Created,
        },
        TokenHolder {
            person: owner(&dave()),
            holds: TokenHolding::Rotated,
        },
    ];
    assert_eq!(
        fixture.describe(&[]),
        "needs 1 more approval from a team author or above other than API token “ci”, bob \
         (who created it), dave (who last rotated it) and the commit authors (carol)"
    );
}

#[test]
fn statuses_and_modes_round_trip_through_their_names() {
    for status in RequestStatus::ALL {
        assert_eq!(RequestStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(RequestStatus::parse("approved; drop table"), None);
    for mode in [Authorship::Signatures, Authorship::Emails] {
        assert_eq!(Authorship::parse(mode.as_str()), Some(mode));
    }
    assert_eq!(Authorship::parse("trust me"), None);
    for setting in [OutsidePaths::Review, OutsidePaths::Refuse] {
        assert_eq!(OutsidePaths::parse(setting.as_str()), Some(setting));
    }
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
    assert!(
        Refusal::TokenHolder(TokenHolding::Created)
            .to_string()
            .contains("you created the API token that requested this deploy")
    );
    assert!(
        Refusal::SignedCommit {
            commit: sha('c'),
            fingerprint: "SHA256:k".into()
        }
        .to_string()
        .contains("your key SHA256:k signed commit cccccccccc")
    );
}
