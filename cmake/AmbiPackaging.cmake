# Installing like a real daemon (FHS) and the Debian package (CPack).
#   cmake --install build/release --prefix /usr        # or: cpack -G DEB in the build folder
# Binaries: /usr/bin; unit: /usr/lib/systemd/system/ambid.service; account:
# /usr/lib/sysusers.d/ambi.conf; catalog and example configuration: /usr/share/ambi; the
# configuration ambid.service reads: /etc/ambi/ambid.toml (a conffile); web files:
# /usr/share/ambi/web; Python client: /usr/lib/python3/dist-packages; docs: /usr/share/doc/ambi.

install(FILES ${PROJECT_SOURCE_DIR}/data/ambid.toml DESTINATION /etc/ambi)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")
# The web client's static files, once clients/web exists (the rule tolerates its absence).
if(EXISTS ${PROJECT_SOURCE_DIR}/clients/web/static)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/clients/web/static/
          DESTINATION ${CMAKE_INSTALL_DATADIR}/ambi/web)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ambi)
set(CPACK_PACKAGE_VENDOR "ambi")
set(CPACK_PACKAGE_CONTACT "ambi maintainers <ambi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "live left/right movement asymmetry from wrist and ankle IMUs (daemon and clients)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
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
