#!/usr/bin/env bash
# cloud-init user-data for one EC2 instance (Ubuntu 24.04 LTS) running twitter-pipeline under Airflow 3:
# PostgreSQL metadata DB on the instance, LocalExecutor, systemd units for api-server, scheduler,
# dag-processor and triggerer. AWS access comes from the instance profile only: no keys on disk.
# The X bearer token lives in AWS Secrets Manager (secret airflow/connections/x_api_default) and is
# read by Airflow's secrets backend at task run time. See deploy/README.md.
#
# Edit the five settings below, then paste this file as the instance's user data.
set -euo pipefail

LAKE="s3://CHANGE-ME-bucket/twitter-pipeline"   # where raw pages and Delta tables go
AWS_REGION="us-east-1"                          # the bucket's region
QUERY="(#DataEngineering OR #ApacheAirflow) -is:retweet lang:en"   # the X search query
REPO_URL="https://github.com/CHANGE-ME/twitter-pipeline.git"
REPO_REF="main"

APP_ROOT=/opt/twitter-pipeline
ENV_FILE=/etc/twitter-pipeline/airflow.env

exec > >(tee -a /var/log/twitter-pipeline-setup.log) 2>&1
echo "twitter-pipeline setup started $(date -u +%FT%TZ)"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q python3-venv python3-dev git postgresql openssl

# 1. A system user and the code.
id airflow >/dev/null 2>&1 || useradd --system --create-home --home-dir "$APP_ROOT" --shell /usr/sbin/nologin airflow
if [ ! -d "$APP_ROOT/app/.git" ]; then
  runuser -u airflow -- git clone --depth 1 --branch "$REPO_REF" "$REPO_URL" "$APP_ROOT/app"
fi

# 2. A virtualenv with the package and Airflow at the versions CI tested (the repository's constraints.txt),
#    plus the Amazon provider (S3 logs, Secrets Manager), resolved within those pins.
runuser -u airflow -- python3 -m venv "$APP_ROOT/venv"
runuser -u airflow -- "$APP_ROOT/venv/bin/pip" install -q --upgrade pip
runuser -u airflow -- "$APP_ROOT/venv/bin/pip" install -q -c "$APP_ROOT/app/constraints.txt" \
  -e "$APP_ROOT/app[airflow]" "apache-airflow-providers-amazon>=9"

# 3. PostgreSQL for Airflow's metadata (local socket + loopback only; the password never leaves the box).
systemctl enable --now postgresql
if ! runuser -u postgres -- psql -tAc "select 1 from pg_roles where rolname = 'airflow'" | grep -q 1; then
  db_password="$(openssl rand -hex 24)"
  runuser -u postgres -- psql -q -c "create role airflow login password '${db_password}'"
  runuser -u postgres -- createdb -O airflow airflow
else
  db_password=""
fi

# 4. One environment file for all Airflow components (root:airflow 0640).
install -d -m 0750 -o root -g airflow /etc/twitter-pipeline
if [ ! -f "$ENV_FILE" ]; then
  umask 027
  cat >"$ENV_FILE" <<ENV
AIRFLOW_HOME=$APP_ROOT/airflow-home
AIRFLOW__CORE__DAGS_FOLDER=$APP_ROOT/app/dags
AIRFLOW__CORE__LOAD_EXAMPLES=False
AIRFLOW__CORE__EXECUTOR=LocalExecutor
AIRFLOW__CORE__PARALLELISM=8
AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
AIRFLOW__CORE__FERNET_KEY=$(openssl rand -base64 32 | tr '+/' '-_')
AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:8080/execution/
AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=postgresql+psycopg2://airflow:${db_password}@127.0.0.1:5432/airflow
AIRFLOW__API__HOST=127.0.0.1
AIRFLOW__API__PORT=8080
AIRFLOW__API_AUTH__JWT_SECRET=$(openssl rand -hex 32)
AIRFLOW__SECRETS__BACKEND=airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend
AIRFLOW__SECRETS__BACKEND_KWARGS='{"connections_prefix":"airflow/connections","variables_prefix":null,"config_prefix":null}'
AIRFLOW__LOGGING__REMOTE_LOGGING=True
AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER=${LAKE%/}/airflow-logs
AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID=aws_default
AWS_REGION=$AWS_REGION
AWS_DEFAULT_REGION=$AWS_REGION
TWITTER_PIPELINE_LAKE=$LAKE
TWITTER_PIPELINE_QUERY="$QUERY"
ENV
  # values with spaces or JSON are quoted: systemd's EnvironmentFile and bash both read this file
  chown root:airflow "$ENV_FILE"
  chmod 0640 "$ENV_FILE"
fi

# 5. Migrate the metadata DB and create the pool that serialises X API calls.
runuser -u airflow -- bash -c "set -a; . '$ENV_FILE'; set +a; cd '$APP_ROOT'; \
  '$APP_ROOT/venv/bin/airflow' db migrate && \
  '$APP_ROOT/venv/bin/airflow' pools set x_api 1 'X API rate limit'"

# 6. systemd units, started in dependency order (workers report to the api-server).
install -m 0644 "$APP_ROOT"/app/deploy/systemd/airflow-*.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now airflow-api-server.service
systemctl enable --now airflow-dag-processor.service airflow-scheduler.service airflow-triggerer.service

echo "twitter-pipeline setup finished $(date -u +%FT%TZ): unpause the DAG (deploy/README.md, step 7)"
