"""Images built on a machine no container registry serves: `barito images`.

``bases``: a Debian bookworm root filesystem from debootstrap, imported as
``barito-local/debian:bookworm``, and the bases derived from it with the small
Dockerfiles in ``deploy/docker/bases`` (Python 3.11, its builder variant,
JRE 17, Node). ``service_images``: the five services and the canary from their
own Dockerfiles, with those bases as build arguments. This package runs the
``docker`` CLI only; it imports no service package.
"""
