/**
 * health-monitor.yml: every 12 hours (configurable), run the fleet's smoke checks against each
 * environment's stack (the same check definitions the deploy gate uses), and on failure open
 * (or comment on) one issue and optionally post to a webhook.
 */
import { CiConfig } from "../../../config/ci";
import { Job, RunStep, Workflow } from "../model";
import {
  credentialEnv,
  inProject,
  oidcPermission,
  projectSetup,
  pulumiAuth,
  readEnvironmentName,
  stackOf,
} from "./common";

export const HEALTH_MONITOR_FILE = "health-monitor.yml";

const ISSUE_TITLE = "Health monitor: smoke checks failing";

// One open issue collects every failed run instead of a new issue each 12 hours.
const OPEN_OR_COMMENT = `existing=$(gh issue list --repo "$GH_REPO" --state open --search "in:title \\"$TITLE\\"" --json number --jq '.[0].number // empty')
if [ -n "$existing" ]; then
  gh issue comment "$existing" --repo "$GH_REPO" --body "Still failing: $RUN_URL"
else
  gh issue create --repo "$GH_REPO" --title "$TITLE" --body "The scheduled smoke checks failed: $RUN_URL"
fi
`;

const POST_WEBHOOK = `payload=$(jq -n --arg text "fleetgate health monitor failed: $RUN_URL" '{text: $text}')
curl --fail --silent --show-error --max-time 20 -H 'content-type: application/json' --data "$payload" "$WEBHOOK_URL"
`;

export function healthMonitorWorkflow(ci: CiConfig): Workflow {
  const jobs: Record<string, Job> = {};
  for (const env of ci.environments) {
    jobs[`health-${env.name}`] = {
      name: `health (${env.name})`,
      runsOn: ci.runsOn,
      permissions: { contents: "read", ...oidcPermission(ci) },
      // The environment's read credentials (protected branches only for a protected environment).
      environment: readEnvironmentName(env),
      timeoutMinutes: 15,
      ...inProject(ci),
      steps: [
        ...projectSetup(ci),
        ...pulumiAuth(ci, env, "read"),
        {
          name: "Run the fleet's smoke checks",
          run: `${ci.commands.checks} --stack ${stackOf(env)}`,
          env: credentialEnv(ci, ["read", "repository"]),
        },
      ],
    };
  }
  const runUrl = "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}";
  const alertSteps: RunStep[] = [
    {
      name: "Open or update the health issue",
      env: {
        GH_TOKEN: "${{ secrets.GITHUB_TOKEN }}",
        GH_REPO: "${{ github.repository }}",
        TITLE: ISSUE_TITLE,
        RUN_URL: runUrl,
      },
      run: OPEN_OR_COMMENT,
    },
  ];
  const webhook = ci.healthMonitor.alertWebhookSecret;
  if (webhook) {
    alertSteps.push({
      name: "Post to the alert webhook",
      env: { WEBHOOK_URL: `\${{ secrets.${webhook} }}`, RUN_URL: runUrl },
      run: POST_WEBHOOK,
    });
  }
  jobs.alert = {
    name: "alert",
    needs: Object.keys(jobs),
    if: "failure()",
    runsOn: ci.runsOn,
    permissions: { issues: "write" },
    timeoutMinutes: 5,
    steps: alertSteps,
  };
  return {
    file: HEALTH_MONITOR_FILE,
    name: "health monitor",
    on: { schedule: [{ cron: ci.healthMonitor.schedule }], workflow_dispatch: {} },
    permissions: {},
    concurrency: { group: "health-monitor", cancelInProgress: false },
    jobs,
  };
}
