-- A view the dashboard and operators read.
CREATE VIEW job_stats AS SELECT status, count(*) AS jobs FROM jobs GROUP BY status;
