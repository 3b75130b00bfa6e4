-- Jobs the worker processes.
CREATE SEQUENCE jobs_id_seq START 1;
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY DEFAULT nextval('jobs_id_seq'),
  kind VARCHAR NOT NULL,
  payload VARCHAR NOT NULL,
  status VARCHAR NOT NULL DEFAULT 'queued',
  result VARCHAR,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  processed_at TIMESTAMP
);
