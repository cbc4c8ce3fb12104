using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>struct iovec (LP64 Linux, x86-64 and arm64: 16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}
