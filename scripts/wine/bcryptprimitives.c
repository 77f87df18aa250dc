// Go 1.24 and later get random bytes from bcryptprimitives.dll's
// ProcessPrng, which Wine 8 does not have: this stand-in answers it with
// advapi32's RtlGenRandom (SystemFunction036). Only for running tests under
// Wine (scripts/test-windows.sh); never shipped.
#include <windows.h>

typedef BOOLEAN(WINAPI *gen_random)(PVOID, ULONG);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	static gen_random gen;
	if (!gen) {
		HMODULE advapi = LoadLibraryA("advapi32.dll");
		if (!advapi)
			return FALSE;
		gen = (gen_random)GetProcAddress(advapi, "SystemFunction036");
		if (!gen)
			return FALSE;
	}
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!gen(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
