using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>struct rlimit (x86-64 and arm64 Linux: two 64-bit values).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ResourceLimit
{
    public ulong Soft;
    public ulong Hard;
}
