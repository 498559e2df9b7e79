#include "engine/consolebackend.h"
