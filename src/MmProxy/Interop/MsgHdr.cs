using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>struct msghdr as LP64 Linux lays it out, x86-64 and arm64 alike (56 bytes, natural alignment).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
