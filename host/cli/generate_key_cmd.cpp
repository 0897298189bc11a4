// `concourse generate-key -t rsa|ssh -f FILE [-b BITS]`: the keys a web node and its workers
// need (session signing key, TSA host key, worker keys), as Concourse's command makes them.
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "tsa/keys.hpp"

namespace concourse::cli {
namespace {

constexpr const char* kUsage =
    "Usage: concourse generate-key -t rsa|ssh -f FILE [-b BITS]\n"
    "  -t, --type      rsa (PEM private key) or ssh (same key for TSA/worker use)\n"
    "  -f, --filename  where to write the private key; the public key goes to FILE.pub\n"
    "  -b, --bits      RSA key size (default 4096, at least 2048)\n";

struct Args {
  std::string type, file;
  int bits = 0;
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (f == "-t" || f == "--type")
      a.type = value();
    else if (f == "-f" || f == "--filename")
      a.file = value();
    else if (f == "-b" || f == "--bits")
      a.bits = std::atoi(value().c_str());
    else
      return false;
  }
  return (a.type == "rsa" || a.type == "ssh") && !a.file.empty() && a.bits >= 0;
}

}  // namespace

int run_generate_key_command(int argc, char** argv) {
  Args a;
  if (!parse_args(argc, argv, a)) {
    std::cerr << kUsage;
    return 2;
  }
  int bits = a.bits != 0 ? a.bits : 4096;
  if (bits < 2048) {
    std::cerr << "error: --bits must be at least 2048\n";
    return 2;
  }
  try {
    tsa::write_rsa_key_pair(a.file, bits);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout << "wrote private key to " << a.file << "\nwrote public key to " << a.file << ".pub\n";
  return 0;
}

}  // namespace concourse::cli
