# Installing like a real daemon (FHS) and the Debian package (CPack).
#   cmake --install build/release        # or: cpack -G DEB in the build folder
# The prefix is /usr unless CMAKE_INSTALL_PREFIX says otherwise (top CMakeLists.txt); the
# binaries find their data through paths compiled in from it, so the package uses the same.
# Binaries: /usr/bin; units: /usr/lib/systemd/system/{ambid,ambi-web}.service; account:
# /usr/lib/sysusers.d/ambi.conf; catalog and example configuration: /usr/share/ambi; the
# configurations the units read: /etc/ambi/ambid.toml and /etc/ambi/ambi-web.toml (conffiles);
# web files: /usr/share/ambi/www; Python client: /usr/lib/python3/dist-packages; docs:
# /usr/share/doc/ambi. tests/package builds the package and checks all of this.

install(FILES ${PROJECT_SOURCE_DIR}/data/ambid.toml ${PROJECT_SOURCE_DIR}/data/ambi-web.toml
        DESTINATION /etc/ambi)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")

# cpack and `cmake --install` pack what the build made; they never start a build themselves
# (the package test stays bounded in time).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ambi)
set(CPACK_PACKAGE_VENDOR "ambi")
set(CPACK_PACKAGE_CONTACT "ambi maintainers <ambi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "live left/right movement asymmetry from wrist and ankle IMUs (daemon and clients)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
# Shipped binaries without their debug sections (a tenth of the size).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Library dependencies from the binaries themselves (dpkg-shlibdeps), plus what is not linked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bluez, python3-grpcio, python3-protobuf")
# postinst creates the ambi account (systemd-sysusers) and reloads systemd; it enables and
# starts nothing: `systemctl enable --now ambid` is the administrator's decision.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/deb/postinst
                                       ${PROJECT_SOURCE_DIR}/cmake/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
