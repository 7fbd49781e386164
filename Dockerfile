# syntax=docker/dockerfile:1
# AblyAuthServer image, in the shape of dotnet/dotnet-docker samples/aspnetapp (Dockerfile.chiseled).
#   docker build -t ably-auth-server .
#   docker run -d -p 127.0.0.1:8080:8080 -e ABLY_API_KEY -v ably-data:/data ably-auth-server
# Configuration is environment only; the image holds no key, no database and no user.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source

# Restore in its own layer so it reruns only when package versions or the project file change. It is given the
# publish's runtime and ReadyToRun so it fetches the runtime and crossgen packs the --no-restore publish needs.
COPY Directory.Build.props Directory.Packages.props global.json ./
COPY src/AblyAuthServer/*.csproj src/AblyAuthServer/
RUN dotnet restore src/AblyAuthServer --use-current-runtime -p:PublishReadyToRun=true

# The analyzer severities live in .editorconfig; without it, TreatWarningsAsErrors fails the compile on rules the repo turns off.
COPY .editorconfig ./
COPY src/ src/
# ReadyToRun: precompiled code halves the time from start to ready (bench/RESULTS.md); the SDK's own runtime picks the
# architecture, so a multi-platform build compiles for each target.
RUN dotnet publish src/AblyAuthServer -c Release --no-restore -o /app --use-current-runtime --self-contained false -p:PublishReadyToRun=true

# The chiseled image has no shell to mkdir/chown at run time, so the data directory is made here, empty.
RUN mkdir /data

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
# The app runs as $APP_UID (1654, "app"): the application stays root-owned and read-only to it; only /data is its own.
COPY --from=build /app .
COPY --from=build --chown=$APP_UID:$APP_UID /data /data
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Accounts__ConnectionString="Data Source=/data/accounts.db"
VOLUME /data
EXPOSE 8080
# Already the chiseled default; stated so a change of base image cannot silently make it root.
USER $APP_UID
ENTRYPOINT ["dotnet", "AblyAuthServer.dll"]
