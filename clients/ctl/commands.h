#ifndef AMBI_CLIENTS_CTL_COMMANDS_H_
#define AMBI_CLIENTS_CTL_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "clients/ctl/ambid_client.h"

namespace ambi::ctl {

// Everything the command line can say; each command reads what concerns it.
struct Options {
  std::string address;
  std::string store;       // --store: a central history (postgresql://...) instead of ambid's
  std::string token_file;  // bearer token for TCP (--token-file)
  std::string tls_ca;      // CA of ambid's TLS certificate (--tls-ca)
  double timeout_s = 0.0;
  double wait_for_server_s = 0.0;
  bool json = false;
  // watch
  std::vector<std::string> athletes;
  std::vector<std::string> kinds;
  long count = 0;
  bool fatigue = false;
  bool table = false;
  bool no_colour = false;
  bool every_event = false;  // one line per event (DescribeLiveEvent), ambi-watch's text
  // --json prints the daemon's own responses as proto3 JSON (ambi-watch's devices and set
  // output, which its scripts read) instead of ambictl's stable records.
  bool proto_json = false;
  // control and history
  std::string athlete;
  std::string exercise;
  std::string side;
  std::string mode;
  std::string automatic_sets;  // "", "on", "off"
  std::string session_id;
  std::string since;
  std::string until;
  std::uint32_t limit = 0;
  std::uint32_t weeks = 4;
  std::string format = "csv";
  std::string per = "rep";
  std::string output;
  std::string catalog;
};

// With --wait-for-server: kExitOk once ambid accepts connections, else one line and kExitTimeout.
int WaitForServer(AmbidClient& client, const Options& options);
int Watch(AmbidClient& client, const Options& options);
int Devices(AmbidClient& client, const Options& options);
// The daemon's health at a glance: devices connected, and the copy to the central database.
int Status(AmbidClient& client, const Options& options);
int SetStart(AmbidClient& client, const Options& options);
int SetEnd(AmbidClient& client, const Options& options);
int SessionStart(AmbidClient& client, const Options& options);
int SessionEnd(AmbidClient& client, const Options& options);
int Sessions(AmbidClient& client, const Options& options);
int Show(AmbidClient& client, const Options& options);
int Export(AmbidClient& client, const Options& options);
int Balance(AmbidClient& client, const Options& options);
int Report(AmbidClient& client, const Options& options);
// Reads the catalog file (no daemon needed).
int Exercises(const Options& options);

}  // namespace ambi::ctl

#endif  // AMBI_CLIENTS_CTL_COMMANDS_H_
