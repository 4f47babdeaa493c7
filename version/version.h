// lmdbapi's release version (the repository's VERSION file, semantic
// versioning): what `--version` prints and the lmdbapi_build_info metric says.
// The data format has its own version (storage/database.h), checked when a
// data directory is opened.
#ifndef LMDBAPI_VERSION_VERSION_H_
#define LMDBAPI_VERSION_VERSION_H_



namespace lmdbapi {

// "0.1.0": the contents of VERSION when this binary was built.
const char* Version();

}  // namespace lmdbapi

#endif  // LMDBAPI_VERSION_VERSION_H_
