using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// recvmmsg/sendmmsg: many datagrams per system call, for the native UDP loop. Structures are
/// x86-64's (<see cref="Epoll.IsSupported"/> keeps the native loops there). Classic DllImport with
/// SetLastError; callers read Marshal.GetLastPInvokeError() right after each call.
/// </summary>
internal static unsafe class MultiMessageNativeMethods
{
    private const string LibC = "libc";


    /// <summary>Returns the number of messages received (each one's length in <see cref="MMsgHdr.Length"/>) or -1.</summary>
    [DllImport(LibC, EntryPoint = "recvmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    /// <summary>
    /// Returns the number of messages sent, or -1 when the first could not be (errno). A later
    /// failure shows as a short count; sending again from there reports its errno.
    /// </summary>
    [DllImport(LibC, EntryPoint = "sendmmsg", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);
}
