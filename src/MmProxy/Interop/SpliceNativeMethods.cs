using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// libc entry points for the zero-copy relay: splice(2) and pipes (read/close: DescriptorNativeMethods).
/// Classic DllImport with SetLastError (LibraryImport returned a wrong errno under tiered compilation
/// here); callers read Marshal.GetLastPInvokeError() right after each call. The socket engine passes
/// sockets as SafeSocketHandle so a concurrent Dispose cannot close (and let the kernel reuse) the
/// descriptor during a call; the native loop, which owns its descriptors, uses the raw overload.
/// </summary>
internal static unsafe class SpliceNativeMethods
{
    private const string LibC = "libc";

    public const uint SpliceMove = 1;
    public const uint SpliceNonBlock = 2;
    public const int OCloExec = 0x80000;
    public const int ONonBlock = 0x800;
    public const int FSetPipeSize = 1031;
    public const int FGetPipeSize = 1032;

    [DllImport(LibC, EntryPoint = "splice", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint SpliceFromSocket(SafeSocketHandle socket, nint offIn, int pipeWrite, nint offOut, nuint length, uint flags);

    [DllImport(LibC, EntryPoint = "splice", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint SpliceToSocket(int pipeRead, nint offIn, SafeSocketHandle socket, nint offOut, nuint length, uint flags);

    /// <summary>Between raw descriptors (the native TCP loop owns its sockets as plain descriptors).</summary>
    [DllImport(LibC, EntryPoint = "splice", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [DllImport(LibC, EntryPoint = "pipe2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Pipe2(int* fds, int flags);

    [DllImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Fcntl(int fd, int command, int argument);

}
