//! Builds the WHERE clause of event queries from an `EventFilter`, once for
//! both dialects. Values always travel as bind parameters; only the shape of
//! the SQL depends on the filter.

use painchain_core::EventFilter;

use crate::{codec::nanos, fts};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// How the `tag` filter is written. `Set` collects the tagged events first
/// (best when few are tagged, or to count them); `Probe` checks each row as
/// an index walk in timeline order meets it (best when many are tagged and
/// only a page is wanted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagMode {
    Set,
    Probe,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// SQL text plus its bind parameters, in order.
#[derive(Debug)]
pub(crate) struct Sql {
    pub dialect: Dialect,
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::with_capacity(256),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    pub fn arg(&mut self, a: Arg) -> &mut Self {
        self.args.push(a);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
        }
        self
    }

    pub fn text(&mut self, s: &str) -> &mut Self {
        self.arg(Arg::Text(s.to_string()))
    }

    pub fn int(&mut self, n: i64) -> &mut Self {
        self.arg(Arg::Int(n))
    }

    /// ` AND col >= start AND col <= end` for the filter's time range.
    fn ts_range(&mut self, col: &str, f: &EventFilter) -> &mut Self {
        if let Some(start) = f.start {
            self.push(" AND ").push(col).push(" >= ").int(nanos(start));
        }
        if let Some(end) = f.end {
            self.push(" AND ").push(col).push(" <= ").int(nanos(end));
        }
        self
    }

    /// `(?, ?, ...)`
    pub fn list(&mut self, values: &[String]) -> &mut Self {
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text(v);
        }
        self.push(")")
    }

    /// Appends ` AND <where clause of the filter>` for events aliased `e`,
    /// after the caller wrote `e.tenant_id = ?`.
    /// `tag_integrations`: the integrations whose config has one of the
    /// filter's tags (their events match the tag filter too).
    pub fn filter(
        &mut self,
        tenant: &str,
        f: &EventFilter,
        tag_integrations: &[String],
    ) -> &mut Self {
        self.filter_with(tenant, f, TagMode::Set, tag_integrations)
    }

    /// [`filter`](Self::filter) with a choice of how tags are matched.
    pub fn filter_with(
        &mut self,
        tenant: &str,
        f: &EventFilter,
        tags: TagMode,
        tag_integrations: &[String],
    ) -> &mut Self {
        let eq_lists: [(&str, &Vec<String>); 5] = [
            ("e.connector", &f.connectors),
            ("e.project", &f.projects),
            ("e.kind", &f.kinds),
            ("e.status", &f.statuses),
            ("e.environment", &f.environments),
        ];
        for (col, values) in eq_lists {
            if !values.is_empty() {
                self.push(" AND ").push(col).push(" IN ").list(values);
            }
        }
        if !f.integration_ids.is_empty() {
            // Same expression as the dedup index, so that index serves it.
            self.push(" AND COALESCE(e.integration_id, '') IN ")
                .list(&f.integration_ids);
        }
        if let Some(start) = f.start {
            self.push(" AND e.ts >= ").int(nanos(start));
        }
        if let Some(end) = f.end {
            self.push(" AND e.ts <= ").int(nanos(end));
        }
        if !f.tags.is_empty() {
            match tags {
                TagMode::Set => {
                    // The time range is repeated inside so the indexes
                    // range-scan only the events of the period.
                    self.push(
                        " AND e.seq IN (SELECT t.event_seq FROM event_tags t WHERE t.tenant_id = ",
                    )
                    .text(tenant)
                    .push(" AND t.tag IN ")
                    .list(&f.tags);
                    self.ts_range("t.ts", f);
                    // Events of integrations whose config carries one of the
                    // tags, resolved beforehand (there are few integrations).
                    if !tag_integrations.is_empty() {
                        self.push(" UNION SELECT e2.seq FROM events e2 WHERE e2.tenant_id = ")
                            .text(tenant)
                            .push(" AND COALESCE(e2.integration_id, '') IN ")
                            .list(tag_integrations);
                        self.ts_range("e2.ts", f);
                    }
                    self.push(")");
                }
                TagMode::Probe => {
                    self.push(" AND (EXISTS (SELECT 1 FROM event_tags t WHERE t.event_seq = e.seq AND t.tag IN ")
                        .list(&f.tags)
                        .push(")");
                    if !tag_integrations.is_empty() {
                        self.push(" OR COALESCE(e.integration_id, '') IN ")
                            .list(tag_integrations);
                    }
                    self.push(")");
                }
            }
        }
        if !f.refs.is_empty() {
            self.push(
                " AND e.seq IN (SELECT rf.event_seq FROM event_refs rf WHERE rf.tenant_id = ",
            )
            .text(tenant)
            .push(" AND (");
            for (i, r) in f.refs.iter().enumerate() {
                if i > 0 {
                    self.push(" OR ");
                }
                self.push("(rf.ref_type = ")
                    .text(&r.ref_type)
                    .push(" AND rf.value = ")
                    .text(&r.value)
                    .push(")");
            }
            self.push("))");
        }
        if let Some(q) = &f.q {
            let words = fts::words(q);
            // A query without any searchable word selects nothing extra:
            // treat it as absent rather than matching nothing.
            if !words.is_empty() {
                match self.dialect {
                    Dialect::Sqlite => {
                        self.push(
                            " AND e.seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ",
                        )
                        .text(&fts::fts5_query(&words))
                        .push(")");
                    }
                    Dialect::Postgres => {
                        self.push(" AND e.search @@ to_tsquery('simple', ")
                            .text(&fts::pg_tsquery(&words))
                            .push(")");
                    }
                }
            }
        }
        self
    }
}
