# syntax=docker/dockerfile:1
# Whistle.Api: the HTTP API, the SignalR hub and the web UI.
# Build from the repository root:
#   docker build -f deploy/docker/whistle-api.Dockerfile -t whistle-api:1.0.0 .

# 1. The web UI (Whistle.Web: Vue 3 + Vite) needs Node.js 20.
FROM node:20-bookworm-slim AS web
WORKDIR /src/Whistle.Web
COPY Whistle.Web/package.json Whistle.Web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY Whistle.Web/ ./
RUN npm run build

# 2. The .NET build. The projects first (a restore layer that changes only with them), then the sources;
#    the UI's dist/ from stage 1 becomes the Api's wwwroot.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Whistle.Contracts/Whistle.Contracts.csproj Whistle.Contracts/
COPY Whistle.Core/Whistle.Core.csproj Whistle.Core/
COPY Whistle.Dispatcher/Whistle.Dispatcher.csproj Whistle.Dispatcher/
COPY Whistle.Web/Whistle.Web.csproj Whistle.Web/
COPY Whistle.Api/Whistle.Api.csproj Whistle.Api/
RUN dotnet restore Whistle.Api/Whistle.Api.csproj
COPY Whistle.Contracts/ Whistle.Contracts/
COPY Whistle.Core/ Whistle.Core/
COPY Whistle.Dispatcher/ Whistle.Dispatcher/
COPY Whistle.Api/ Whistle.Api/
COPY --from=web /src/Whistle.Web/dist/ Whistle.Web/dist/
RUN dotnet publish Whistle.Api/Whistle.Api.csproj -c Release -o /app --no-restore -p:SkipWhistleWebBuild=true

# 3. The runtime: ASP.NET Core only, as the image's non-root user "app" (UID 1654).
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
# URLS (not ASPNETCORE_URLS): appsettings.json's "Urls" would win over the ASPNETCORE_ variables.
ENV URLS=http://+:8080 \
    Whistle__DataFolder=/app/data
USER $APP_UID
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "Whistle.Api.dll"]
