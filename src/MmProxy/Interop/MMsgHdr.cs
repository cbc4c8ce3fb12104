using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>struct mmsghdr (LP64 Linux, x86-64 and arm64: 64 bytes): one message of recvmmsg/sendmmsg and its byte count.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;

    /// <summary>Bytes received or sent for this message (set by the kernel).</summary>
    public uint Length;
}
