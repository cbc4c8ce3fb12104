using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// read, write and close on raw descriptors (pipes, eventfds, sockets the native loops own): one
/// declaration for every user. Classic DllImport with SetLastError; callers read
/// Marshal.GetLastPInvokeError() right after each call.
/// </summary>
internal static unsafe class DescriptorNativeMethods
{
    private const string LibC = "libc";

    [DllImport(LibC, EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Read(int fd, void* buffer, nuint count);

    [DllImport(LibC, EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern nint Write(int fd, void* buffer, nuint count);

    [DllImport(LibC, EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int Close(int fd);
}
