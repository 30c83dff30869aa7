# The compose nginx: Debian's nginx with its lua module, for the front cache's purge
# generation (deploy/docker/nginx.conf). The official nginx image has no lua module.
FROM debian:bookworm-slim

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-http-lua \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    # The media volume is group 101 (deploy/docker/Dockerfile): nginx's workers read it.
    && groupadd --gid 101 filamenta-media \
    && usermod --append --groups filamenta-media www-data \
    && install -d -o www-data -g www-data -m 0700 /var/cache/nginx/filamenta \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log

EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
