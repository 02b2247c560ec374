# syntax=docker/dockerfile:1
# Whistle.Dispatcher: routes whistles and fires the escalation chain; "migrate" as its argument runs the
# one-shot database migration instead (the compose migrate step, the Kubernetes migration Job).
# Build from the repository root:
#   docker build -f deploy/docker/whistle-dispatcher.Dockerfile -t whistle-dispatcher:1.0.0 .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Whistle.Contracts/Whistle.Contracts.csproj Whistle.Contracts/
COPY Whistle.Core/Whistle.Core.csproj Whistle.Core/
COPY Whistle.Dispatcher/Whistle.Dispatcher.csproj Whistle.Dispatcher/
RUN dotnet restore Whistle.Dispatcher/Whistle.Dispatcher.csproj
COPY Whistle.Contracts/ Whistle.Contracts/
COPY Whistle.Core/ Whistle.Core/
COPY Whistle.Dispatcher/ Whistle.Dispatcher/
RUN dotnet publish Whistle.Dispatcher/Whistle.Dispatcher.csproj -c Release -o /app --no-restore

# The dispatcher uses ASP.NET Core (health probes and /metrics on a small port), so the aspnet runtime.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
ENV Whistle__Dispatcher__HealthUrls=http://+:8081 \
    Whistle__DataFolder=/app/data
USER $APP_UID
EXPOSE 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://localhost:8081/health/live || exit 1
ENTRYPOINT ["dotnet", "Whistle.Dispatcher.dll"]
