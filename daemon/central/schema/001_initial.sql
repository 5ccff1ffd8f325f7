-- ambi central history, schema version 1. Applied by ambid's shipper (daemon/central) inside one
-- transaction that also records the version in ambi_schema_version; never edit a released file,
-- add 002_*.sql instead.
--
-- Every row carries the box it came from. Rows are keyed by (box_id, session_id, seq), seq
-- being the row's id in that box's SQLite store, so a row shipped twice (at-least-once
-- delivery) lands once. Sessions and sets change after they are first shipped (a session ends,
-- a set gets its summary): they are upserted. Enums are ambi.v1 numbers, as in the box's store.
-- Athletes are identified by name across boxes: the same name at two boxes is one athlete.

CREATE TABLE ambi_boxes (
  box_id text PRIMARY KEY,
  first_shipped_at timestamptz NOT NULL DEFAULT now(),
  last_shipped_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ambi_sessions (
  box_id text NOT NULL,
  session_id text NOT NULL,
  athlete text NOT NULL,
  start_unix_ns bigint NOT NULL,
  end_unix_ns bigint NOT NULL DEFAULT 0,
  capture_path text NOT NULL DEFAULT '',
  PRIMARY KEY (box_id, session_id)
);
CREATE INDEX ambi_sessions_by_athlete ON ambi_sessions (athlete, start_unix_ns);
CREATE INDEX ambi_sessions_by_start ON ambi_sessions (start_unix_ns);

-- The muscle groups, direction and reaching flag of the exercise as the box's catalog knew it
-- when the set was shipped, so the weekly balance needs no catalog of its own.
CREATE TABLE ambi_sets (
  box_id text NOT NULL,
  session_id text NOT NULL,
  set_index integer NOT NULL,
  exercise text NOT NULL DEFAULT '',
  mode integer NOT NULL DEFAULT 0,
  limb integer NOT NULL DEFAULT 0,
  side integer NOT NULL DEFAULT 0,
  automatic integer NOT NULL DEFAULT 0,
  start_unix_ns bigint NOT NULL,
  end_unix_ns bigint NOT NULL DEFAULT 0,
  start_s double precision NOT NULL DEFAULT 0,
  end_s double precision,
  left_reps integer,
  right_reps integer,
  weaker_side integer,
  band integer,
  significant integer,
  rom_percent_difference double precision,
  rom_symmetry_index_pct double precision,
  rom_band integer,
  compared_with_set_index integer,
  summary bytea,
  muscle_groups text NOT NULL DEFAULT '',
  direction text NOT NULL DEFAULT '',
  reaching boolean NOT NULL DEFAULT false,
  PRIMARY KEY (box_id, session_id, set_index)
);
CREATE INDEX ambi_sets_by_start ON ambi_sets (start_unix_ns);

CREATE TABLE ambi_reps (
  box_id text NOT NULL,
  session_id text NOT NULL,
  seq bigint NOT NULL,
  set_index integer NOT NULL,
  rep_index integer NOT NULL,
  side integer NOT NULL,
  limb integer NOT NULL,
  start_s double precision NOT NULL,
  turnaround_s double precision NOT NULL,
  end_s double precision NOT NULL,
  rom_deg double precision NOT NULL,
  concentric_s double precision NOT NULL,
  eccentric_s double precision NOT NULL,
  peak_speed_deg_s double precision NOT NULL,
  unix_ns bigint NOT NULL,
  PRIMARY KEY (box_id, session_id, seq)
);
CREATE INDEX ambi_reps_by_set ON ambi_reps (box_id, session_id, set_index, side);

CREATE TABLE ambi_rep_pairs (
  box_id text NOT NULL,
  session_id text NOT NULL,
  seq bigint NOT NULL,
  set_index integer NOT NULL,
  pair_index integer NOT NULL,
  limb integer NOT NULL,
  lead_ms double precision NOT NULL,
  unix_ns bigint NOT NULL,
  pair bytea NOT NULL,
  PRIMARY KEY (box_id, session_id, seq)
);

-- pair_seq is the seq of the pair in ambi_rep_pairs.
CREATE TABLE ambi_rep_pair_metrics (
  box_id text NOT NULL,
  session_id text NOT NULL,
  pair_seq bigint NOT NULL,
  metric integer NOT NULL,
  left_value double precision NOT NULL,
  right_value double precision NOT NULL,
  percent_difference double precision NOT NULL,
  symmetry_index_pct double precision NOT NULL,
  weaker_side integer NOT NULL,
  band integer NOT NULL,
  significant integer NOT NULL,
  PRIMARY KEY (box_id, session_id, pair_seq, metric)
);

CREATE TABLE ambi_cues (
  box_id text NOT NULL,
  session_id text NOT NULL,
  seq bigint NOT NULL,
  set_index integer NOT NULL,
  limb integer NOT NULL,
  kind integer NOT NULL,
  side integer NOT NULL,
  target_reps integer NOT NULL,
  value_pct double precision NOT NULL,
  message text NOT NULL,
  t_s double precision NOT NULL,
  unix_ns bigint NOT NULL,
  cue bytea NOT NULL,
  PRIMARY KEY (box_id, session_id, seq)
);

-- Sensor status, fatigue and unpaired-rep events, whole (the box's events table).
CREATE TABLE ambi_events (
  box_id text NOT NULL,
  session_id text NOT NULL,
  seq bigint NOT NULL,
  kind text NOT NULL,
  t_s double precision NOT NULL,
  unix_ns bigint NOT NULL,
  event bytea NOT NULL,
  PRIMARY KEY (box_id, session_id, seq)
);
