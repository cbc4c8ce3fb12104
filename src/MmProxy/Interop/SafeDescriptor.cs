using System.Runtime.InteropServices;

namespace MmProxy.Interop;

/// <summary>
/// A descriptor used from more than one thread (a loop's wake-up eventfd): the handle's reference
/// count keeps the number from being closed, and reused by the kernel, while another thread is
/// inside a call on it. Descriptors only the loop thread touches stay plain ints.
/// </summary>
internal sealed class SafeDescriptor : SafeHandle
{
    public SafeDescriptor(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The number, for a call made while a reference is held (see <see cref="Epoll.Wake"/>).</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Descriptor.Close(Fd) == Errno.Success;
}
